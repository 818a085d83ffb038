/* Supervisor pages: live floor, transcript search and view, access audit, metrics with an SVG chart.
 * Replies are rendered generically (lists of objects become tables) so small API changes do not
 * break the pages; every value goes in as text.
 */
(function () {
  "use strict";

  var C = window.ClickChat;
  var el = C.el;
  var root = document.getElementById("supervisor");
  var page = root.getAttribute("data-page");
  var caseNumber = root.getAttribute("data-case");
  var statusLine = document.getElementById("result-status");
  var SVG = "http://www.w3.org/2000/svg";
  var chartCount = 0;
  var CODES = C.jsonData("code-labels") || {}; // {field: {code: label}}, from the server's choices
  var ANY_CODE = {}; // code -> label, for codes that arrive as names (metrics keyed by transaction type)
  Object.keys(CODES).forEach(function (field) {
    Object.keys(CODES[field]).forEach(function (code) { if (code.indexOf("_") > 0) ANY_CODE[code] = CODES[field][code]; });
  });
  // Column and figure names as a supervisor says them; the rest are derived by label().
  var KEY_LABELS = {
    waiting_seconds: "Waiting", waited_seconds: "Waited", wait_p50_seconds: "Wait (median)",
    wait_p90_seconds: "Wait (90th percentile)", wait_p50_minutes: "Wait (median)", wait_p90_minutes: "Wait (90th percentile)",
    aht_seconds: "Average handle time", wrapup_mean_seconds: "Wrap-up (mean)", fcr: "First-contact resolution", fcr_rate: "First-contact resolution",
    close_reason: "Close reason", transaction_type: "Type", member_id: "Member id", case_number: "Case",
  };
  var HIDDEN_COLUMNS = ["entries", "chat_id", "id"]; // ids mean nothing to a person; links and buttons carry them

  function say(text) {
    if (statusLine) statusLine.textContent = text;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (data) { return { status: r.status, data: data }; });
    });
  }

  function failure(reply) {
    if (reply.status === 404 && !(reply.data && reply.data.error)) return "This report is not available on the server yet (404).";
    if (reply.data && reply.data.error) return reply.data.error.message;
    return "The server answered " + reply.status + ".";
  }

  function rowsOf(data) {
    if (Array.isArray(data)) return data;
    if (!data || typeof data !== "object") return [];
    var keys = ["results", "transcripts", "items", "entries", "records", "events", "rows"];
    for (var i = 0; i < keys.length; i++) if (Array.isArray(data[keys[i]])) return data[keys[i]];
    return [];
  }

  /** A value as text; `key` (its field) turns codes into words and seconds into m:ss. */
  function show(value, key) {
    if (value === null || value === undefined) return "—";
    if (typeof value === "string" && key && CODES[key] && CODES[key][value]) return CODES[key][value];
    if (typeof value === "string" && ANY_CODE[value]) return ANY_CODE[value];
    if (typeof value === "number" && key && /_seconds$/.test(key)) return C.duration(value);
    if (typeof value === "number" && key && /_minutes$/.test(key)) return value.toFixed(1) + " min";
    if (Array.isArray(value)) return value.map(show).join(", ");
    if (typeof value === "object") {
      if (value.first_name || value.last_name) {
        return [value.first_name, value.last_name].join(" ") + (value.member_id ? " (" + value.member_id + ")" : "");
      }
      return Object.keys(value).map(function (k) { return k + ": " + show(value[k]); }).join("; ");
    }
    if (typeof value === "boolean") return value ? "yes" : "no";
    if (typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value)) return new Date(value).toLocaleString();
    if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(2);
    return String(value);
  }

  function label(key) {
    if (KEY_LABELS[key]) return KEY_LABELS[key];
    if (ANY_CODE[key]) return ANY_CODE[key];
    var words = key.replace(/_(seconds|minutes)$/, "").replace(/_p50$/, " (median)").replace(/_p90$/, " (90th percentile)");
    return words.replace(/_/g, " ").replace(/^./, function (c) { return c.toUpperCase(); });
  }

  function table(rows, caption, linkCase, action) {
    if (!rows.length) return el("p", { className: "muted", text: "Nothing found." });
    var columns = [];
    rows.slice(0, 20).forEach(function (row) {
      Object.keys(row).forEach(function (k) {
        if (columns.indexOf(k) < 0 && HIDDEN_COLUMNS.indexOf(k) < 0) columns.push(k);
      });
    });
    var head = el("tr", {}, columns.map(function (k) { return el("th", { scope: "col", text: label(k) }); }));
    if (action) head.appendChild(el("th", { scope: "col" }, [el("span", { className: "sr-only", text: "Action" })]));
    var body = rows.map(function (row) {
      var tr = el("tr", {}, columns.map(function (k) {
        if (linkCase && k === "case_number" && row[k]) {
          return el("td", {}, [el("a", { href: "/supervisor/transcripts/" + encodeURIComponent(row[k]) + "/", text: row[k] })]);
        }
        return el("td", { text: show(row[k], k) });
      }));
      if (action) tr.appendChild(el("td", {}, [action(row)]));
      return tr;
    });
    // a wide table scrolls sideways: its box is a named, focusable region so the keyboard can scroll it
    return el("div", { className: "table-wrap", tabindex: "0", role: "region", "aria-label": caption }, [
      el("table", { className: "data" }, [el("caption", { className: "sr-only", text: caption }), el("thead", {}, [head]),
        el("tbody", {}, body)]),
    ]);
  }

  function query(form) {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (input) {
      if (input.name && input.value.trim()) params.set(input.name, input.value.trim());
    });
    return params;
  }

  function listPage(formId, api, caption, linkCase) {
    var form = document.getElementById(formId);
    var results = document.getElementById("results");
    var initial = new URLSearchParams(window.location.search);
    Array.prototype.forEach.call(form.elements, function (input) {
      if (input.name && initial.get(input.name)) input.value = initial.get(input.name);
    });
    function run() {
      var params = query(form);
      window.history.replaceState(null, "", "?" + params.toString());
      say("Searching…");
      getJSON(api + "?" + params.toString()).then(function (reply) {
        C.clear(results);
        if (reply.status !== 200) {
          say(failure(reply));
          return;
        }
        var rows = rowsOf(reply.data);
        say(rows.length + " found.");
        results.appendChild(table(rows, caption, linkCase));
      }).catch(function () { say("The server could not be reached."); });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      run();
    });
    if (formId !== "search" || initial.toString()) run();
  }

  /** How notes, whispers and internal events are marked (docs/record.md): the provider never saw them. */
  function internalLabel(e) {
    if (!e.internal && e.type !== "internal") return "";
    return { note: "Internal note · ", whisper: "Whisper to the agent · " }[e.kind] || "Internal · ";
  }

  function transcriptPage() {
    var head = document.getElementById("transcript-head");
    var list = document.getElementById("transcript-entries");
    getJSON("/api/transcripts/" + encodeURIComponent(caseNumber) + "/").then(function (reply) {
      if (reply.status !== 200) {
        say(failure(reply));
        return;
      }
      var t = reply.data;
      var integrity = t.integrity || {};
      say(integrity.verified === false ? "Warning: this transcript failed its integrity check." : "Transcript loaded.");
      var fields = [["Case number", t.case_number], ["Patient", t.patient], ["Type", t.transaction_type, "transaction_type"],
        ["Provider", t.provider], ["Agents", t.agents], ["Opened", t.opened_at], ["Closed", t.closed_at],
        ["Close reason", t.close_reason, "close_reason"], ["Disposition", t.disposition, "disposition"],
        ["Integrity", integrity.verified ? "verified (" + integrity.head + ")" : "NOT verified"]];
      head.appendChild(el("dl", { className: "context" }, fields.map(function (f) {
        return el("div", {}, [el("dt", { text: f[0] }), el("dd", { text: show(f[1], f[2]) })]);
      })));
      (t.entries || []).forEach(function (e) {
        list.appendChild(el("li", { className: e.internal ? "internal " + e.kind : e.kind === "message" ? "msg " + (e.sender_role === "provider" ? "theirs" : "mine") : "system" }, [
          el("span", { className: "meta" }, [el("span", { className: "who", text: "#" + e.seq + " " + internalLabel(e) + (e.sender || e.sender_role || "") }),
            " ", el("time", { datetime: e.at, text: new Date(e.at).toLocaleString() })]),
          el("span", { className: "body", text: e.text }),
        ]));
      });
    }).catch(function () { say("The server could not be reached."); });
  }

  // --- metrics -------------------------------------------------------------------------------------

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function chart(series) {
    var xKey = ["hour", "label", "at", "start", "time"].filter(function (k) { return k in series[0]; })[0];
    var names = Object.keys(series[0]).filter(function (k) { return k !== xKey && typeof series[0][k] === "number"; });
    var W = 640;
    var H = 220;
    var P = 36;
    var max = 1;
    series.forEach(function (row) { names.forEach(function (n) { max = Math.max(max, row[n] || 0); }); });
    chartCount += 1;
    var titleId = "chart-title-" + chartCount;
    var root_ = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", class: "chart", "aria-labelledby": titleId });
    root_.appendChild(svg("title", { id: titleId }, "By hour: " + names.map(label).join(", ")));
    root_.appendChild(svg("line", { x1: P, y1: H - P, x2: W - 8, y2: H - P, class: "axis" }));
    root_.appendChild(svg("line", { x1: P, y1: 8, x2: P, y2: H - P, class: "axis" }));
    root_.appendChild(svg("text", { x: 4, y: 16, class: "tick" }, show(max)));
    var step = (W - P - 16) / Math.max(series.length - 1, 1);
    series.forEach(function (row, i) {
      var x = xKey ? row[xKey] : i;
      if (typeof x === "string" && /T\d\d/.test(x)) x = x.slice(11, 13);  // the hour as the service center reads it
      root_.appendChild(svg("text", { x: P + i * step, y: H - P + 16, class: "tick", "text-anchor": "middle" }, String(x)));
    });
    var legend = el("ul", { className: "legend" });
    names.forEach(function (n, k) {
      var points = series.map(function (row, i) {
        return (P + i * step).toFixed(1) + "," + (H - P - ((row[n] || 0) / max) * (H - P - 12)).toFixed(1);
      }).join(" ");
      // twelve distinct colours, then dashes: no two series of one chart look alike
      root_.appendChild(svg("polyline", { points: points, class: "series s" + (k % 12) + (k >= 12 ? " dashed" : "") }));
      legend.appendChild(el("li", { className: "s" + (k % 12), text: label(n) }));
    });
    return el("div", {}, [root_, legend]);
  }

  /** The day's two charts from the API's by_hour series: waiting and requests by type; wait times. */
  function hourly(series, box) {
    if (!series || !series.length) {
      box.appendChild(el("p", { className: "muted", text: "No hourly figures for this range." }));
      return;
    }
    var types = Object.keys(series[0].requested_by_type || {});
    var load = series.map(function (h) {
      var row = { hour: h.hour, waiting: h.waiting };
      types.forEach(function (t) { row[t] = h.requested_by_type[t] || 0; });
      return row;
    });
    var waits = series.map(function (h) {
      return { hour: h.hour, wait_p50_minutes: h.wait_p50_minutes || 0, wait_p90_minutes: h.wait_p90_minutes || 0 };
    });
    box.appendChild(el("h3", { text: "Waiting at the start of each hour, and chats requested by transaction type" }));
    box.appendChild(chart(load));
    box.appendChild(el("h3", { text: "Wait time per hour (minutes)" }));
    box.appendChild(chart(waits));
  }

  function metricsPage() {
    var form = document.getElementById("metrics-filter");
    var results = document.getElementById("results");
    var box = document.getElementById("chart");
    function run() {
      var params = query(form);
      var csv = new URLSearchParams(params);
      csv.set("format", "csv");
      document.getElementById("csv-link").href = "/api/metrics/?" + csv.toString(); // the same figures as a file
      say("Loading…");
      getJSON("/api/metrics/?" + params.toString()).then(function (reply) {
        C.clear(results);
        C.clear(box);
        if (reply.status !== 200) {
          say(failure(reply));
          return;
        }
        say("Metrics loaded.");
        var data = reply.data || {};
        var series = data.by_hour;
        hourly(series, box);
        var cards = el("div", { className: "stats" });
        Object.keys(data).forEach(function (k) {
          var v = data[k];
          if (v === null || typeof v !== "object") {
            cards.appendChild(el("div", { className: "stat card" }, [el("span", { className: "stat-label", text: label(k) }),
              el("strong", { text: show(v, k) })]));
          }
        });
        results.appendChild(cards);
        Object.keys(data).forEach(function (k) {
          var v = data[k];
          if (!v || typeof v !== "object" || v === series) return;
          var rows = Array.isArray(v) ? v : Object.keys(v).map(function (name) {
            var row = v[name];
            // the figure's name in words, its value as its name says (seconds as m:ss)
            return row && typeof row === "object" && !Array.isArray(row) ? Object.assign({ name: label(name) }, row) : { name: label(name), value: show(row, name) };
          });
          results.appendChild(el("section", { className: "card" }, [el("h2", { text: label(k) }), table(rows, label(k), false)]));
        });
      }).catch(function () { say("The server could not be reached."); });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      run();
    });
    run();
  }

  // --- live floor ----------------------------------------------------------------------------------

  function floorPage() {
    var conn = document.getElementById("floor-conn");
    var places = {
      waiting: "floor-waiting", queue: "floor-waiting", agents: "floor-agents", active: "floor-active",
      chats: "floor-active", active_chats: "floor-active",
    };
    var failures = 0;
    var watched = {}; // chat_id -> {log, tracker}
    var monitorBox = document.getElementById("floor-monitor");
    function monitorButton(row) {
      if (!row.chat_id) return null;
      return el("button", { type: "button", className: "small", "aria-label": "Monitor case " + row.case_number,
        text: watched[row.chat_id] ? "Monitoring" : "Monitor", disabled: !!watched[row.chat_id],
        onclick: function () { socket.send({ type: "monitor", chat_id: row.chat_id, purpose: "quality review" }); } });
    }
    function render(frame) {
      var source = frame.floor || frame.state || frame;
      Object.keys(places).forEach(function (key) {
        if (!Array.isArray(source[key])) return;
        var box = document.getElementById(places[key]);
        C.clear(box);
        box.appendChild(table(source[key], label(key), true, places[key] === "floor-active" ? monitorButton : null));
      });
    }
    function entry(chatId, e) {
      var w = watched[chatId];
      if (!w || !w.tracker.add(e.seq)) return;
      w.log.appendChild(el("li", { className: e.type === "internal" ? "internal " + e.kind : e.type === "message" ? "msg " + (e.sender_role === "provider" ? "theirs" : "mine") : "system" }, [
        el("span", { className: "meta" }, [el("span", { className: "who", text: internalLabel(e) + (e.sender || e.sender_role || "") }), " ",
          el("time", { datetime: e.at || "", text: C.clock(e.at) })]),
        el("span", { className: "body", text: e.text }),
      ]));
      w.box.scrollTop = w.box.scrollHeight;
    }
    function monitor(frame) {
      if (frame.type === "monitor.started") {
        var chat = frame.chat;
        if (watched[chat.chat_id]) return true;
        // the list keeps its semantics inside a focusable log region (axe: listitem, scrollable-region-focusable)
        var log = el("ol", { className: "entries" });
        var box = el("div", { className: "log", role: "log", tabindex: "0", "aria-label": "Case " + chat.case_number + " (read-only)" }, [log]);
        var state = el("p", { className: "muted", text: "Read-only: the provider and the agent do not see you." });
        var section = el("section", { className: "card monitor", "data-chat-id": chat.chat_id }, [
          el("h2", { text: "Monitoring case " + chat.case_number + " · " + chat.patient.first_name + " " + chat.patient.last_name }),
          state, box,
          el("button", { type: "button", className: "secondary", text: "Stop monitoring",
            onclick: function () { socket.send({ type: "unmonitor", chat_id: chat.chat_id }); } }),
        ]);
        watched[chat.chat_id] = { log: log, box: box, tracker: new C.SeqTracker(), section: section, state: state };
        monitorBox.appendChild(section);
        (chat.entries || []).forEach(function (e) { entry(chat.chat_id, e); });
        document.dispatchEvent(new CustomEvent("clickchat:monitor", { detail: { chat: chat, section: section, state: state, socket: socket } })); // monitor.js
        return true;
      }
      if (!frame.chat_id || !watched[frame.chat_id]) return false;
      if (frame.type === "message" || frame.type === "event" || frame.type === "internal") entry(frame.chat_id, frame);
      if (frame.type === "monitor.stopped") {
        watched[frame.chat_id].section.remove();
        delete watched[frame.chat_id];
      }
      return true;
    }
    var socket = new C.ResilientSocket({
      url: function () { return "/ws/supervisor/"; },
      onFrame: function (frame) {
        failures = 0;
        document.dispatchEvent(new CustomEvent("clickchat:floor-frame", { detail: frame })); // monitor.js
        if (frame.type === "error") conn.textContent = frame.message;
        else if (!monitor(frame)) render(frame);
      },
      onStatus: function (s) {
        if (s === "reconnecting") failures += 1;
        conn.textContent = s === "open" ? "Live" : failures > 1 ? "The live floor is not reachable yet; retrying…" : "Connecting…";
      },
      onFinal: function (code, why) { conn.textContent = "The live floor closed (" + why + ")."; },
    });
    C.sockets.push(socket);
    socket.connect();
  }

  if (page === "floor") floorPage();
  else if (page === "transcripts" && caseNumber) transcriptPage();
  else if (page === "transcripts") listPage("search", "/api/transcripts/", "Transcripts", true);
  else if (page === "audit") listPage("audit-filter", "/api/audit/", "Access audit", true);
  else if (page === "metrics") metricsPage();
})();
