/* The floor board (/supervisor/): SLA alerts with colour, words and a mutable sound; raised hands
 * with Take; the queue against its SLA; agents' state, load and time in state; today's figures
 * with a live chart (inline SVG) and the same figures as a table. docs/floor.md.
 * supervisor.js hands every floor.state frame to ClickChat.floorBoard.render and draws the rest.
 */
(function () {
  "use strict";

  var C = window.ClickChat;
  var el = C.el;
  var SVG = "http://www.w3.org/2000/svg";
  var CODES = C.jsonData("code-labels") || {};
  var LEVEL_WORDS = { ok: "Within SLA", near: "Near SLA", over: "Over SLA" };
  var STATE_WORDS = { available: "Available", away: "Away", offline: "Offline (console lost)" };
  var seenAlerts = null; // "kind subject" keys of `over` alerts already announced (null: first frame)
  var seenHands = null;
  var lastToday = "";
  var NEAR_SHARE = 0.75;
  var REFRESH_MS = 5000; // ask for a fresh floor this often: waits grow and today's figures move without events
  var waiting = [];
  var waitingAt = Date.now();
  var refreshAsked = false;
  var floorSocket = null;

  function byId(id) { return document.getElementById(id); }

  function typeLabel(code) {
    return (CODES.transaction_type && CODES.transaction_type[code]) || code;
  }

  // --- sound: a short tone for a new breach or a new raised hand, unless muted ---------------------

  function muted() {
    var box = byId("floor-mute");
    return !box || box.checked;
  }

  function beep() {
    if (muted()) return;
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx();
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.frequency.value = 660;
      gain.gain.value = 0.08;
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.3);
    } catch (err) {
      /* no audio: the alert list and its count still tell */
    }
  }

  function setUpMute() {
    var box = byId("floor-mute");
    if (!box) return;
    box.checked = window.localStorage.getItem("clickchat.floor.mute") === "1";
    box.addEventListener("change", function () {
      window.localStorage.setItem("clickchat.floor.mute", box.checked ? "1" : "0");
    });
  }

  /** Re-render `box` keeping the keyboard where it was: the control with the same data-key gets focus
   * back; if it is gone (a hand just taken), its table region does, never the page body. */
  function keepFocus(box, build) {
    var active = document.activeElement;
    var inside = active && box.contains(active);
    var key = inside ? active.getAttribute("data-key") : null;
    C.clear(box);
    build();
    if (!inside) return;
    var again = (key && box.querySelector('[data-key="' + key + '"]')) || box.querySelector("[tabindex='0']");
    if (again) again.focus();
  }

  function slaPill(level) {
    return el("span", { className: "sla sla-" + level, text: LEVEL_WORDS[level] || level });
  }

  function dataTable(caption, head, rows) {
    return el("div", { className: "table-wrap", tabindex: "0", role: "region", "aria-label": caption }, [
      el("table", { className: "data" }, [
        el("caption", { className: "sr-only", text: caption }),
        el("thead", {}, [el("tr", {}, head.map(function (h) { return el("th", { scope: "col" }, [h]); }))]),
        el("tbody", {}, rows),
      ]),
    ]);
  }

  function empty(text) { return el("p", { className: "muted", text: text }); }

  // --- alerts -------------------------------------------------------------------------------------

  function renderAlerts(alerts) {
    var box = byId("floor-alerts");
    var count = byId("floor-alert-count");
    var over = alerts.filter(function (a) { return a.level === "over"; });
    count.textContent = alerts.length ? "(" + over.length + " over SLA, " + (alerts.length - over.length) + " near)" : "";
    C.clear(box);
    if (!alerts.length) box.appendChild(empty("No alerts: everything is within its service level."));
    else {
      box.appendChild(el("ul", { className: "alerts" }, alerts.map(function (a) {
        return el("li", { className: "alert alert-" + a.level, "data-kind": a.kind }, [
          el("strong", { text: (LEVEL_WORDS[a.level] || a.level) + ": " }), a.text,
        ]);
      })));
    }
    var keys = {};
    var fresh = false;
    over.forEach(function (a) {
      var key = a.kind + " " + a.subject;
      keys[key] = true;
      if (seenAlerts && !seenAlerts[key]) fresh = true;
    });
    if (fresh) {
      beep();
      byId("floor-alert-news").textContent = over.length + " alert" + (over.length === 1 ? "" : "s") + " over SLA.";
    }
    seenAlerts = keys;
  }

  // --- raised hands --------------------------------------------------------------------------------

  function renderHands(hands, socket) {
    var box = byId("floor-hands");
    var fresh = false;
    var keys = {};
    hands.forEach(function (h) {
      keys[h.chat_id] = true;
      if (seenHands && !seenHands[h.chat_id] && h.state === "raised") fresh = true;
    });
    if (fresh) {
      beep();
      byId("floor-alert-news").textContent = "An agent raised a hand for help.";
    }
    seenHands = keys;
    keepFocus(box, function () {
      if (!hands.length) {
        box.appendChild(empty("No raised hands."));
        return;
      }
      box.appendChild(dataTable("Raised hands", ["Case", "Agent", "Reason", "Raised", "Help"], hands.map(function (h) {
        var action = h.state === "taken"
          ? el("span", { className: "taken", text: "Taken by " + h.taken_by })
          : el("button", { type: "button", className: "small", "data-key": "take-" + h.chat_id,
            "aria-label": "Take the raised hand on case " + h.case_number + " (" + h.agent_name + ")", text: "Take",
            onclick: function () { socket.send({ type: "take_hand", chat_id: h.chat_id }); } });
        return el("tr", { className: h.state === "raised" ? "hand-raised" : "" }, [
          el("td", { text: h.case_number }),
          el("td", { text: h.agent_name }),
          el("td", {}, [h.reason_text, h.note ? el("span", { className: "hand-note", text: "“" + h.note + "”" }) : null]),
          el("td", { text: C.duration(h.raised_seconds) + " ago" }),
          el("td", {}, [action]),
        ]);
      })));
    });
  }

  // --- the queue and the agents --------------------------------------------------------------------

  function levelOf(seconds, limit) {
    if (!limit) return "ok";
    return seconds >= limit ? "over" : seconds >= NEAR_SHARE * limit ? "near" : "ok"; // queueing/sla.py's rule
  }

  /** The queue as of the last frame; tick() counts the waits on each second in place. */
  function renderWaiting() {
    var box = byId("floor-waiting");
    keepFocus(box, function () {
      if (!waiting.length) {
        box.appendChild(empty("No one is waiting."));
        return;
      }
      var wrap = dataTable("Waiting", ["Case", "Type", "Priority", "Waiting", "SLA", "Service level"], waiting.map(function (w) {
        var level = w.sla || "ok";
        var pill = slaPill(level);
        var wait = el("td", { text: C.duration(w.waiting_seconds) });
        w.cells = { wait: wait, pill: pill };
        w.row = el("tr", { className: "sla-row-" + level, "data-level": level }, [
          el("td", { text: w.case_number }),
          el("td", { text: typeLabel(w.transaction_type) }),
          el("td", { text: w.priority === "discharge_within_24h" ? "Discharge within 24 h" : "Normal" }),
          wait,
          el("td", { text: w.sla_seconds ? C.duration(w.sla_seconds) : "—" }),
          el("td", {}, [pill]),
        ]);
        return w.row;
      }));
      wrap.setAttribute("data-key", "waiting-table");
      box.appendChild(wrap);
    });
  }

  /** Each second: waits and levels move on screen (the same rule as the server's); a row that crosses
   * into a breach asks for a fresh floor, whose alerts (and sound) follow within a moment. */
  function tick() {
    var elapsed = (Date.now() - waitingAt) / 1000;
    var crossed = false;
    waiting.forEach(function (w) {
      if (!w.row) return;
      var seconds = w.waiting_seconds + elapsed;
      var level = levelOf(seconds, w.sla_seconds);
      w.cells.wait.textContent = C.duration(seconds);
      if (w.row.getAttribute("data-level") !== level) {
        w.row.setAttribute("data-level", level);
        w.row.className = "sla-row-" + level;
        w.cells.pill.className = "sla sla-" + level;
        w.cells.pill.textContent = LEVEL_WORDS[level];
      }
      if (level === "over" && w.sla !== "over") crossed = true;
    });
    if (crossed && !refreshAsked && floorSocket) {
      refreshAsked = true;
      floorSocket.send({ type: "refresh" });
    }
  }

  function renderAgents(agents, alerts) {
    var box = byId("floor-agents");
    var flagged = {};
    alerts.forEach(function (a) { if (a.agent && a.kind !== "reply_wait") flagged[a.agent] = a.text; });
    var hasWrapUp = agents.some(function (a) { return "wrap_up" in a || "wrapup_seconds" in a; });
    C.clear(box);
    if (!agents.length) {
      box.appendChild(empty("No agent has opened a console today."));
      return;
    }
    var head = ["Agent", "State", "Time in state", "Load"];
    if (hasWrapUp) head.push("Wrap-up");
    head.push("Alert");
    box.appendChild(dataTable("Agents", head, agents.map(function (a) {
      var cells = [
        el("td", { text: a.name && a.name !== a.username ? a.name + " (" + a.username + ")" : a.username }),
        el("td", {}, [el("span", { className: "state state-" + a.status, text: STATE_WORDS[a.status] || a.status })]),
        el("td", { text: a.time_in_state_seconds === null || a.time_in_state_seconds === undefined ? "—" : C.duration(a.time_in_state_seconds) }),
        el("td", { text: a.load + " of " + a.capacity }),
      ];
      if (hasWrapUp) {
        var w = a.wrap_up !== undefined ? a.wrap_up : a.wrapup_seconds;
        cells.push(el("td", { text: w === null || w === undefined || w === 0 ? "—" : typeof w === "number" ? C.duration(w) + " left" : String(w) }));
      }
      cells.push(el("td", {}, [flagged[a.username] ? el("span", { className: "agent-alert", text: "Over SLA: " + flagged[a.username] }) : "—"]));
      return el("tr", {}, cells);
    })));
  }

  // --- today's figures and the live chart ----------------------------------------------------------

  function percent(v) { return v === null || v === undefined ? "—" : Math.round(v * 100) + "%"; }
  function secs(v) { return v === null || v === undefined ? "—" : C.duration(v); }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** Bars per hour: answered (solid) and abandoned (hatched), so the two differ in more than colour. */
  function chart(hours) {
    var W = 640, H = 200, P = 32, TOP = 10;
    var max = 1;
    hours.forEach(function (h) { max = Math.max(max, h.answered, h.abandoned); });
    var slot = (W - P - 8) / Math.max(hours.length, 1);
    var bar = Math.max(Math.min(slot / 2 - 2, 24), 2);
    var y = function (v) { return H - P - (v / max) * (H - P - TOP); };
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", class: "chart floor-chart", "aria-labelledby": "today-chart-title today-chart-desc" });
    root.appendChild(svg("title", { id: "today-chart-title" }, "Chats answered and abandoned per hour today"));
    var total = hours.reduce(function (s, h) { return [s[0] + h.answered, s[1] + h.abandoned]; }, [0, 0]);
    root.appendChild(svg("desc", { id: "today-chart-desc" }, total[0] + " answered and " + total[1] + " abandoned so far; the table below has each hour."));
    var defs = svg("defs");
    var pattern = svg("pattern", { id: "hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
    pattern.appendChild(svg("rect", { width: 6, height: 6, class: "hatch-bg" }));
    pattern.appendChild(svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, class: "hatch-line" }));
    defs.appendChild(pattern);
    root.appendChild(defs);
    root.appendChild(svg("line", { x1: P, y1: H - P, x2: W - 4, y2: H - P, class: "axis" }));
    root.appendChild(svg("line", { x1: P, y1: TOP, x2: P, y2: H - P, class: "axis" }));
    root.appendChild(svg("text", { x: 4, y: TOP + 8, class: "tick" }, String(max)));
    root.appendChild(svg("text", { x: 4, y: H - P, class: "tick" }, "0"));
    hours.forEach(function (h, i) {
      var x = P + 4 + i * slot;
      root.appendChild(svg("rect", { x: x, y: y(h.answered), width: bar, height: H - P - y(h.answered), class: "bar answered" }));
      root.appendChild(svg("rect", { x: x + bar + 2, y: y(h.abandoned), width: bar, height: H - P - y(h.abandoned), class: "bar abandoned" }));
      if (hours.length <= 12 || i % 2 === 0) {
        root.appendChild(svg("text", { x: x + bar, y: H - P + 14, class: "tick", "text-anchor": "middle" }, h.hour.slice(0, 2)));
      }
    });
    return root;
  }

  function renderToday(today) {
    var box = byId("floor-today");
    var json = JSON.stringify(today);
    if (json === lastToday) return; // unchanged: leave the table (and whoever is reading it) alone
    lastToday = json;
    var breaches = today.sla_breaches || {};
    var breachTotal = Object.keys(breaches).reduce(function (s, k) { return s + breaches[k]; }, 0);
    var figures = [
      ["Answered", String(today.answered)], ["Abandoned", String(today.abandoned)],
      ["Wait (median)", secs(today.wait_p50_seconds)], ["Wait (90th percentile)", secs(today.wait_p90_seconds)],
      ["Average handle time", secs(today.aht_seconds)], ["First-contact resolution", percent(today.fcr_rate)],
      ["SLA breaches", String(breachTotal)],
    ];
    var wasOpen = box.querySelector("details") && box.querySelector("details").open;
    C.clear(box);
    box.appendChild(el("dl", { className: "stats" }, figures.map(function (f) {
      return el("div", { className: "stat card" }, [el("dt", { className: "stat-label", text: f[0] }), el("dd", {}, [el("strong", { text: f[1] })])]);
    })));
    var hours = today.by_hour || [];
    box.appendChild(chart(hours));
    box.appendChild(el("ul", { className: "legend floor-legend" }, [
      el("li", { className: "key-answered", text: "Answered (solid)" }),
      el("li", { className: "key-abandoned", text: "Abandoned (hatched)" }),
    ]));
    var details = el("details", { className: "chart-table" }, [
      el("summary", { text: "Today's figures per hour as a table" }),
      dataTable("Today per hour", ["Hour", "Requested", "Answered", "Abandoned", "Wait (90th percentile)"], hours.map(function (h) {
        return el("tr", {}, [el("td", { text: h.hour }), el("td", { text: String(h.requested) }), el("td", { text: String(h.answered) }),
          el("td", { text: String(h.abandoned) }), el("td", { text: secs(h.wait_p90_seconds) })]);
      })),
    ]);
    details.open = !!wasOpen;
    box.appendChild(details);
  }

  /** Draw what the board knows of a floor.state frame; returns the keys it drew (supervisor.js skips them). */
  function render(source, socket) {
    var drawn = [];
    if (!byId("floor-alerts")) return drawn;
    if (!floorSocket) {
      floorSocket = socket;
      window.setInterval(tick, 1000);
      window.setInterval(function () { if (!document.hidden) socket.send({ type: "refresh" }); }, REFRESH_MS);
    }
    var alerts = Array.isArray(source.alerts) ? source.alerts : [];
    if (Array.isArray(source.alerts)) { renderAlerts(alerts); drawn.push("alerts"); }
    if (Array.isArray(source.hands)) { renderHands(source.hands, socket); drawn.push("hands"); }
    if (Array.isArray(source.waiting) && source.waiting.every(function (w) { return "sla" in w; })) {
      waiting = source.waiting;
      waitingAt = Date.now();
      refreshAsked = false;
      renderWaiting();
      drawn.push("waiting");
    }
    if (Array.isArray(source.agents)) { renderAgents(source.agents, alerts); drawn.push("agents"); }
    if (source.today) { renderToday(source.today); drawn.push("today"); }
    return drawn;
  }

  setUpMute();
  C.floorBoard = { render: render };
})();
