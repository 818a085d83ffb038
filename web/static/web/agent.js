/* Agent console (/agent/): status, the live queue, and one tab per chat held. */
(function () {
  "use strict";

  var C = window.ClickChat;
  var el = C.el;
  var root = document.getElementById("agent");
  var canned = C.jsonData("canned-replies") || [];
  var typeLabels = C.jsonData("type-labels") || {};
  var tabs = document.getElementById("chat-tabs");
  var panels = document.getElementById("chat-panels");
  var notice = document.getElementById("notice");
  var toggle = document.getElementById("status-toggle");
  var muteBox = document.getElementById("mute");
  var toast = document.getElementById("offer-toast");
  var me = root.getAttribute("data-me") || "";
  var chats = {}; // chat_id -> AgentChat
  var requested = {}; // chat_ids this agent asked for from the queue
  var queue = [];
  var queueAt = Date.now();
  var status = "away";
  var capacity = 0;
  var baseTitle = document.title;
  var flashTimer = null;
  var REASONS = {
    idle_timeout: "The provider did not reply: the chat ended for inactivity.",
    agent_closed: "You closed the chat.",
    chatter_ended: "The provider ended the chat.",
  };

  function say(text) {
    notice.textContent = text;
  }

  // --- offer alert: title flash and an optional beep ------------------------------------------------

  muteBox.checked = window.localStorage.getItem("clickchat.mute") === "1";
  muteBox.addEventListener("change", function () {
    window.localStorage.setItem("clickchat.mute", muteBox.checked ? "1" : "0");
  });

  function beep() {
    if (muteBox.checked) return;
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx();
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.08;
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.25);
    } catch (err) {
      /* no audio: the title flash still tells */
    }
  }

  /** A new offer: toast, title flash and sound; focus stays where the agent is typing. */
  function announce(summary) {
    var text = "New chat: case " + summary.case_number + " (" + summary.patient.first_name + " " + summary.patient.last_name + ").";
    toast.textContent = text;
    toast.hidden = false;
    window.clearTimeout(announce.timer);
    announce.timer = window.setTimeout(function () { toast.hidden = true; }, 8000);
    flash("New chat: case " + summary.case_number);
  }

  function flash(text) {
    var on = false;
    var rounds = 0;
    window.clearInterval(flashTimer);
    flashTimer = window.setInterval(function () {
      on = !on;
      rounds += 1;
      document.title = on ? "● " + text : baseTitle;
      if (rounds > 20 || (document.hasFocus() && rounds > 6)) {
        window.clearInterval(flashTimer);
        document.title = baseTitle;
      }
    }, 800);
    beep();
  }

  // --- status and queue -----------------------------------------------------------------------------

  function showStatus(value) {
    status = value;
    var available = value === "available";
    toggle.setAttribute("aria-pressed", available ? "true" : "false");
    toggle.textContent = available ? "Available" : "Away";
    toggle.classList.toggle("on", available);
    showLoad();
  }

  function showLoad() {
    var held = Object.keys(chats).filter(function (id) { return !chats[id].ended; }).length;
    document.getElementById("load").textContent = held + " of " + capacity + " chats";
    document.getElementById("no-chats").hidden = Object.keys(chats).length > 0;
  }

  toggle.addEventListener("click", function () {
    socket.send({ type: "status", status: status === "available" ? "away" : "available" });
  });
  var wantNext = false; // the next `assigned` answers the agent's own "Accept next chat"
  document.getElementById("accept-next").addEventListener("click", function () {
    wantNext = true;
    socket.send({ type: "accept_next" });
  });

  function renderQueue() {
    var body = document.getElementById("queue-rows");
    var elapsed = (Date.now() - queueAt) / 1000;
    C.clear(body);
    queue.forEach(function (row) {
      var urgent = row.priority !== "normal";
      body.appendChild(el("tr", { className: urgent ? "urgent" : "" }, [
        el("td", { text: row.case_number }),
        el("td", {}, [typeLabels[row.transaction_type] || row.transaction_type,
          urgent ? el("span", { className: "pill", text: "Discharge < 24 h" }) : null]),
        el("td", { text: C.duration(row.waiting_seconds + elapsed) }),
        el("td", {}, [el("button", { type: "button", className: "small", "data-chat-id": row.chat_id,
          "aria-label": "Accept case " + row.case_number, text: "Accept" })]),
      ]));
    });
    document.getElementById("queue-count").textContent = "(" + queue.length + ")";
    document.getElementById("queue-empty").hidden = queue.length > 0;
  }

  document.getElementById("queue-rows").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-chat-id]");
    if (!button) return;
    requested[button.getAttribute("data-chat-id")] = true; // taken by hand: no offer alert for it
    socket.send({ type: "accept", chat_id: button.getAttribute("data-chat-id") });
  });
  window.setInterval(renderQueue, 1000);

  // --- tabs --------------------------------------------------------------------------------------------

  var tabList = new C.Tabs(tabs, {
    onSelect: function (tab) {
      var chat = chats[tab.getAttribute("data-chat-id")];
      if (chat) chat.setUnread(0);
    },
  });

  function select(chat) {
    tabList.select(chat.tab);
  }

  // --- one chat ----------------------------------------------------------------------------------------

  function AgentChat(summary) {
    var self = this;
    var id = summary.chat_id;
    this.id = id;
    this.unread = 0;
    this.ended = false;
    this.seenSeq = summary.last_seq || 0; // entries up to here were there before this page saw the chat: never "new"
    this.idleTimer = null;
    var panel = C.chatPanel("agent-panel-template", id);
    this.panel = panel;
    this.q = function (sel) { return panel.querySelector(sel); };
    this.log = new C.ChatLog({
      panel: panel,
      typingText: "The provider is typing…",
      reader: "the provider",
      mine: function (role) { return role !== "provider"; },
      me: me, // our own messages read "You", live and after a reload alike
      socket: function () { return socket; },
      syncFrame: function (after) { return { type: "sync", chat_id: id, after: after }; },
      messageFrame: function (clientId, text) { return { type: "message", chat_id: id, client_id: clientId, text: text }; },
      typingFrame: function () { return { type: "typing", chat_id: id }; },
      onEntry: function (frame, live) { self.onEntry(frame, live); },
    });
    this.text = this.q(".composer-text");
    this.text.id = "reply-" + id;
    this.text.setAttribute("maxlength", root.getAttribute("data-max-chars"));
    this.q(".composer-label").setAttribute("for", this.text.id);
    this.tabLabel = el("span");
    this.badge = el("span", { className: "badge", hidden: true });
    this.idleMark = el("span", { className: "idle-mark", hidden: true, text: "idle" });
    this.tab = el("button", { type: "button", role: "tab", id: "tab-" + id, "aria-controls": panel.id,
      "aria-selected": "false", className: "tab", tabindex: "-1", "data-chat-id": id },
    [this.tabLabel, this.idleMark, this.badge]);
    tabs.appendChild(this.tab);
    panels.appendChild(panel);
    this.update(summary);

    var select_ = this.q(".canned");
    select_.appendChild(el("option", { value: "", text: canned.length ? "Choose…" : "None set up" }));
    canned.forEach(function (reply, i) {
      select_.appendChild(el("option", { value: String(i), text: (i < 9 ? i + 1 + ". " : "") + reply.title }));
    });
    select_.addEventListener("change", function () {
      if (select_.value !== "") self.insert(canned[Number(select_.value)].text);
      select_.value = "";
      self.text.focus();
    });
    this.q(".composer").addEventListener("submit", function (event) {
      event.preventDefault();
      self.sendText();
    });
    this.text.addEventListener("keydown", function (event) { self.onKey(event); });
    this.text.addEventListener("input", function () { self.log.typed(); });
    this.q(".transfer-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var to = self.q(".transfer-to").value.trim();
      if (!to) {
        say("Type the username of the agent to transfer to, or use Back to queue.");
        return;
      }
      socket.send({ type: "transfer", chat_id: id, to: to });
    });
    this.q(".back-to-queue").addEventListener("click", function () {
      socket.send({ type: "transfer", chat_id: id, to: null });
    });
    // commitments.js: escalating or closing unresolved carries the agent's commitment (null: something is missing)
    var commitment = function (action) { return C.commitments ? C.commitments.forAction(self, action) : {}; };
    if (C.commitments) C.commitments.attachConsole(this);
    this.q(".escalate").addEventListener("click", function () {
      var extra = commitment("escalate");
      if (extra) socket.send(Object.assign({ type: "escalate", chat_id: id, to: null }, extra)); // any available supervisor
    });
    this.q(".close-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var disposition = self.q(".disposition").value;
      var extra = commitment(disposition);
      if (extra) socket.send(Object.assign({ type: "close", chat_id: id, disposition: disposition }, extra));
    });
  }

  AgentChat.prototype.update = function (s) {
    this.summary = s;
    var name = s.patient.first_name + " " + s.patient.last_name;
    this.tabLabel.textContent = name + " · " + s.case_number;
    this.q(".patient").textContent = name;
    this.q(".case-number").textContent = s.case_number;
    this.q(".ttype").textContent = typeLabels[s.transaction_type] || s.transaction_type;
    this.q(".priority").textContent = s.discharge_within_24h ? "Discharge within 24 h" : "";
    this.q(".priority").className = s.discharge_within_24h ? "priority pill" : "priority";
    var dl = this.q(".context");
    C.clear(dl);
    var rows = [
      ["Member id", s.patient.member_id],
      ["Date of birth", s.patient.dob],
      ["Location", s.location.code + " · " + s.location.name + (s.location.active ? "" : " (inactive)")],
      ["Reference", s.reference || "—"],
      ["Provider", s.provider + " (" + s.agency + ")"],
      ["Requested", s.requested_at ? new Date(s.requested_at).toLocaleString() : "—"],
      ["Question", s.question || "—"],
    ];
    rows.forEach(function (row) {
      dl.appendChild(el("div", {}, [el("dt", { text: row[0] }), el("dd", { text: row[1] })]));
    });
    if (s.idle_warnings) this.showIdle(s.idle_warnings);
    this.feed(s.entries || []);
  };

  AgentChat.prototype.feed = function (entries) {
    for (var i = 0; i < entries.length; i++) this.log.entry(entries[i], false);
  };

  AgentChat.prototype.setUnread = function (n) {
    this.unread = n;
    this.badge.hidden = n === 0;
    this.badge.textContent = String(n);
    this.badge.setAttribute("aria-label", n + " unread");
  };

  AgentChat.prototype.insert = function (text) {
    var t = this.text;
    var start = t.selectionStart || 0;
    var end = t.selectionEnd || 0;
    t.value = t.value.slice(0, start) + text + t.value.slice(end);
    t.selectionStart = t.selectionEnd = start + text.length;
  };

  AgentChat.prototype.onKey = function (event) {
    if (event.altKey && /^[1-9]$/.test(event.key) && canned[Number(event.key) - 1]) {
      event.preventDefault();
      this.insert(canned[Number(event.key) - 1].text);
      return;
    }
    if (event.key === "Tab" && !event.shiftKey) {
      var before = this.text.value.slice(0, this.text.selectionStart);
      var match = before.match(/\/(\S+)$/);
      var reply = match && canned.filter(function (r) { return r.shortcut && r.shortcut.replace(/^\//, "") === match[1]; })[0];
      if (reply) {
        event.preventDefault();
        this.text.selectionStart = before.length - match[0].length;
        this.insert(reply.text);
      }
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.sendText();
    }
  };

  /** After an entry was shown: a provider's message clears the idle mark and counts as unread in the background. */
  AgentChat.prototype.onEntry = function (frame, live) {
    if (frame.type !== "message" || frame.sender_role !== "provider") return;
    this.clearIdle();
    if (live && frame.seq > this.seenSeq && this.tab.getAttribute("aria-selected") !== "true") this.setUnread(this.unread + 1);
  };

  AgentChat.prototype.sendText = function () {
    var text = this.text.value.trim();
    if (!text || this.ended) return;
    this.log.send(text);
    this.text.value = "";
  };

  AgentChat.prototype.showIdle = function (number, secondsLeft) {
    var self = this;
    var line = this.q(".idle-state");
    var endsAt = secondsLeft ? Date.now() + secondsLeft * 1000 : null;
    this.idleMark.hidden = false;
    this.idleMark.textContent = "idle " + number;
    function render() {
      var left = endsAt ? Math.max(0, Math.round((endsAt - Date.now()) / 1000)) : 0;
      line.textContent = "Provider idle: warning " + number + " of 2 sent" +
        (endsAt ? ", chat ends in " + C.duration(left) + " without a reply." : ".");
      if (endsAt && left === 0) window.clearInterval(self.idleTimer);
    }
    window.clearInterval(this.idleTimer);
    render();
    if (endsAt) this.idleTimer = window.setInterval(render, 1000); // counts down on screen
  };

  AgentChat.prototype.clearIdle = function () {
    window.clearInterval(this.idleTimer);
    this.idleMark.hidden = true;
    this.q(".idle-state").textContent = "";
  };

  AgentChat.prototype.end = function (reason) {
    if (this.ended) return;
    var self = this;
    this.ended = true;
    this.clearIdle();
    this.log.stopTyping();
    this.panel.setAttribute("data-ended", reason || "ended");
    this.tab.classList.add("ended");
    var box = this.q(".ended");
    var hadFocus = this.panel.contains(document.activeElement);
    C.clear(box);
    box.appendChild(el("p", {}, [(REASONS[reason] || "The chat has ended.") + " Case ", el("strong", { text: this.summary.case_number }), "."]));
    var dismiss = el("button", { type: "button", className: "secondary dismiss", text: "Dismiss", onclick: function () { self.remove(); } });
    box.appendChild(dismiss);
    box.hidden = false;
    this.q(".composer").hidden = true;
    this.q(".actions").hidden = true;
    if (hadFocus) dismiss.focus(); // the focused control was hidden: focus goes to what comes next, not the page body
    showLoad();
  };

  AgentChat.prototype.remove = function () {
    var wasSelected = this.tab.getAttribute("aria-selected") === "true";
    var hadFocus = this.panel.contains(document.activeElement) || this.tab === document.activeElement;
    this.tab.remove();
    this.panel.remove();
    delete chats[this.id];
    var rest = Object.keys(chats);
    if (wasSelected && rest.length) select(chats[rest[0]]);
    showLoad();
    if (hadFocus) (rest.length ? chats[rest[0]].tab : toggle).focus(); // never lost to the page body
  };

  /** A chat offered while another is in front of the agent: marked, announced, not switched to. */
  AgentChat.prototype.markNew = function () {
    this.badge.hidden = false;
    this.badge.textContent = "new";
    this.badge.setAttribute("aria-label", "new chat");
  };

  function adopt(summary, offered) {
    var chat = chats[summary.chat_id];
    if (chat) {
      chat.update(summary);
    } else {
      chat = new AgentChat(summary);
      chats[summary.chat_id] = chat;
      var current = tabList.selected();
      if (offered && wantNext) {
        requested[summary.chat_id] = true;
        wantNext = false;
      }
      // Never switch under the agent's hands: a chat they did not ask for only opens when nothing else is open.
      if (!current || requested[summary.chat_id]) select(chat);
      else if (offered) chat.markNew();
      if (offered && !requested[summary.chat_id]) announce(summary);
    }
    showLoad();
    return chat;
  }

  // --- the socket ------------------------------------------------------------------------------------

  function onFrame(frame) {
    var chat = frame.chat_id ? chats[frame.chat_id] : null;
    switch (frame.type) {
      case "agent.state":
        capacity = frame.capacity;
        showStatus(frame.status);
        var held = {};
        frame.chats.forEach(function (summary) {
          held[summary.chat_id] = true;
          adopt(summary, false);
        });
        Object.keys(chats).forEach(function (id) {
          if (!held[id] && !chats[id].ended) chats[id].remove(); // released while we were away
        });
        queue = frame.queue;
        queueAt = Date.now();
        renderQueue();
        break;
      case "status":
        showStatus(frame.status);
        break;
      case "queue":
        queue = frame.waiting;
        queueAt = Date.now();
        renderQueue();
        break;
      case "assigned":
        adopt(frame.chat, true);
        break;
      case "released":
        if (chat) {
          chat.remove();
          say("Case " + chat.summary.case_number + " left your console" + (frame.reason ? " (" + frame.reason + ")." : "."));
        }
        break;
      case "message":
      case "event":
        if (chat) chat.log.entry(frame, true);
        break;
      case "head":
        if (chat) chat.log.head(frame.seq);
        break;
      case "ack":
        if (chat) chat.log.acked(frame);
        break;
      case "typing":
        if (chat && frame.sender_role === "provider") chat.log.typing();
        break;
      case "idle.warning":
        if (chat) chat.showIdle(frame.number, frame.seconds_left);
        break;
      case "idle.cleared": // the provider typed or chose "I'm still here"
        if (chat) chat.clearIdle();
        break;
      case "ended":
        if (chat) chat.end(frame.reason);
        break;
      case "error":
        if (chat) chat.log.refused(frame);
        if (chat && C.commitments) C.commitments.refused(chat, frame);
        say(frame.message);
        break;
      default:
        break;
    }
  }

  var socket = new C.ResilientSocket({
    url: function () { return "/ws/agent/"; },
    onFrame: onFrame,
    onStatus: function (s) {
      var labels = { connecting: "Connecting…", open: "Connected", reconnecting: "Connection lost: reconnecting…", closed: "Disconnected" };
      var conn = document.getElementById("conn");
      conn.textContent = labels[s] || "";
      conn.setAttribute("data-state", s);
    },
    onFinal: function (code, why) {
      say(why === "not_logged_in" ? "Your session ended. Log in again." : "This console cannot connect (" + why + ").");
    },
  });
  C.sockets.push(socket);
  socket.connect();
  showLoad();
  window.clickchatAgent = { chats: chats };
})();
