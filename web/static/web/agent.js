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
  var REASONS = {
    idle_timeout: "The provider did not reply: the chat ended for inactivity.",
    agent_closed: "You closed the chat.",
    chatter_ended: "The provider ended the chat.",
  };

  function say(text) {
    notice.textContent = text;
  }

  // --- alerts: sound, title count, desktop notifications (alerts.js) ---------------------------------

  var alerts = new C.Alerts({
    mute: muteBox,
    notifyButton: document.getElementById("notify-button"),
    notifyState: document.getElementById("notify-state"),
    onOpen: function (id) { if (chats[id]) select(chats[id]); },
  });

  /** A new offer: toast, sound and the title count; focus stays where the agent is typing. */
  function announce(summary) {
    var text = "New chat: case " + summary.case_number + " (" + summary.patient.first_name + " " + summary.patient.last_name + ").";
    toast.textContent = text;
    toast.hidden = false;
    window.clearTimeout(announce.timer);
    announce.timer = window.setTimeout(function () { toast.hidden = true; }, 8000);
    alerts.alert("offer", summary.case_number, summary.chat_id);
  }

  /** Unread entries and new offers over all tabs, in the page title. */
  function showCount() {
    var total = 0;
    Object.keys(chats).forEach(function (id) { total += chats[id].unread + (chats[id].isNew ? 1 : 0); });
    alerts.count(total);
  }

  document.addEventListener("visibilitychange", function () {
    var chat = current();
    if (!document.hidden && chat) chat.setUnread(0); // back on the page: the chat in front is read
  });

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
    var ids = Object.keys(chats);
    var held = ids.filter(function (id) { return !chats[id].ended; }).length;
    var wrapping = ids.filter(function (id) { return chats[id].inWrapup(); }).length;
    document.getElementById("load").textContent = held + wrapping + " of " + capacity + " chats" +
      (wrapping ? " (" + wrapping + " in wrap-up)" : "");
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

  function current() {
    var tab = tabList.selected();
    return tab ? chats[tab.getAttribute("data-chat-id")] || null : null;
  }

  /** In front of the agent: its tab selected and the page visible. */
  function inFront(chat) {
    return chat.tab.getAttribute("aria-selected") === "true" && !document.hidden;
  }

  // --- transfer picker: who is available with room (GET /api/agents/available/) ----------------------

  var ROLE_WORDS = { agent: "agent", supervisor: "supervisor" };
  var targets = {
    list: null,
    loadedAt: 0,
    selects: [],
    fill: function (picker) {
      this.selects.push(picker);
      this.render(picker);
      this.refresh();
    },
    refresh: function () {
      var self = this;
      if (Date.now() - this.loadedAt < 2000) return; // one request however many panels ask at once
      this.loadedAt = Date.now();
      window.fetch("/api/agents/available/", { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (data) {
          self.list = data.agents;
          self.selects = self.selects.filter(function (sel) { return document.contains(sel); });
          self.selects.forEach(function (sel) { self.render(sel); });
        })
        .catch(function () { say("Could not load who is available to take a transfer; try again."); });
    },
    render: function (picker) {
      var keep = picker.value;
      C.clear(picker);
      var list = this.list || [];
      var first = this.list === null ? "Loading…" : list.length ? "Choose…" : "No one available with room";
      picker.appendChild(el("option", { value: "", text: first }));
      list.forEach(function (t) {
        picker.appendChild(el("option", { value: t.username, text: t.name + " (" + (ROLE_WORDS[t.role] || t.role) +
          ", " + t.load + " of " + t.capacity + " chats)" }));
      });
      picker.value = list.some(function (t) { return t.username === keep; }) ? keep : "";
    },
  };

  // --- one chat ----------------------------------------------------------------------------------------

  function AgentChat(summary) {
    var self = this;
    var id = summary.chat_id;
    this.id = id;
    this.unread = 0;
    this.isNew = false; // offered while another chat was in front, not looked at yet
    this.ended = false;
    this.wrapupState = null; // the last `wrapup` frame while the chat is in wrap-up
    this.seenSeq = summary.last_seq || 0; // entries up to here were there before this page saw the chat: never "new"
    this.idleTimer = null;
    var panel = C.chatPanel("agent-panel-template", id);
    this.panel = panel;
    if (C.raiseHand) C.raiseHand.attach(id, panel, function (frame) { socket.send(frame); }); // raise_hand.js
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
      renderEntry: function (frame) { return self.files.item(frame); },
      onRepeat: function (frame) { self.files.refresh(frame, self.log.list); },
    });
    this.files = new C.Attachments({ panel: panel, chatId: id, limits: C.attachmentLimits(root), me: me,
      mine: function (role) { return role !== "provider"; } });
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
    document.dispatchEvent(new CustomEvent("clickchat:chat", { detail: { chat: this, socket: socket } })); // notes.js, history.js

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
      var to = self.q(".transfer-to").value;
      if (!to) {
        say("Choose an available agent to transfer to, or use Back to queue.");
        return;
      }
      socket.send({ type: "transfer", chat_id: id, to: to });
    });
    this.q(".transfer-to").addEventListener("focus", function () { targets.refresh(); });
    targets.fill(this.q(".transfer-to"));
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
    var wrapForm = this.q(".wrapup");
    wrapForm.addEventListener("submit", function (event) {
      event.preventDefault();
      self.sendWrapup(true);
    });
    wrapForm.addEventListener("change", function () { self.sendWrapup(false); }); // saved as the agent goes
    this.q(".wrapup-extend").addEventListener("click", function () {
      socket.send({ type: "wrapup_extend", chat_id: id });
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
    if (s.left_message) rows.push(["Left as a message", "The provider may not be online: your answer waits for them in My chats."]);
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
    if (n === 0) this.isNew = false;
    this.showBadge();
  };

  AgentChat.prototype.showBadge = function () {
    var n = this.unread;
    this.badge.hidden = n === 0 && !this.isNew;
    this.badge.textContent = n ? String(n) : "new";
    this.badge.setAttribute("aria-label", n ? n + " unread" : "new chat");
    showCount();
  };

  /** Something the agent should see happened in this chat: a badge when it is not in front, and the alert. */
  AgentChat.prototype.alert = function (kind) {
    if (!inFront(this)) this.setUnread(this.unread + 1);
    alerts.alert(kind, this.summary.case_number, this.id);
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
    if (live && frame.seq > this.seenSeq && (!inFront(this) || !document.hasFocus())) this.alert("reply");
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
    window.clearInterval(this.wrapupTimer);
    showCount();
    var rest = Object.keys(chats);
    if (wasSelected && rest.length) select(chats[rest[0]]);
    showLoad();
    if (hadFocus) (rest.length ? chats[rest[0]].tab : toggle).focus(); // never lost to the page body
  };

  // --- wrap-up: after the end, the slot stays taken while the disposition and a note are finished ---

  AgentChat.prototype.inWrapup = function () {
    return this.wrapupState !== null && this.wrapupEndsAt > Date.now();
  };

  AgentChat.prototype.sendWrapup = function (done) {
    if (!this.inWrapup()) return;
    socket.send({ type: "wrapup", chat_id: this.id, disposition: this.q(".wrapup-disposition").value,
      note: this.q(".wrapup-note").value, done: done });
  };

  /** A `wrapup` frame: start or update the countdown; seconds_left 0 means it was finished. */
  AgentChat.prototype.wrapup = function (frame) {
    var self = this;
    if (!this.ended) this.end(frame.reason); // the wrap-up can arrive before the `ended` frame
    if (frame.seconds_left <= 0) {
      this.wrapupState = null;
      this.remove(); // finished: the chat leaves the console, focus goes to the next tab
      return;
    }
    var first = this.wrapupState === null;
    this.wrapupState = frame;
    this.wrapupEndsAt = Date.now() + frame.seconds_left * 1000;
    var form = this.q(".wrapup");
    var dismiss = this.q(".dismiss");
    var hadFocus = this.panel.contains(document.activeElement);
    if (first) {
      this.q(".wrapup-disposition").value = frame.disposition || this.q(".disposition").value;
      this.q(".wrapup-note").value = frame.note || "";
    }
    this.q(".wrapup-extend").hidden = !frame.extendable;
    if (dismiss) dismiss.hidden = true; // finish the wrap-up instead
    form.hidden = false;
    if (first && hadFocus) this.q(".wrapup-disposition").focus(); // the Dismiss button it had went away
    function render() {
      var left = Math.max(0, Math.round((self.wrapupEndsAt - Date.now()) / 1000));
      self.q(".wrapup-left").textContent = left ?
        "Wrap-up: " + C.duration(left) + " left. Your slot stays taken until then." :
        "Wrap-up time is over: your slot is free again.";
      if (!left) self.wrapupOver();
    }
    window.clearInterval(this.wrapupTimer);
    render();
    if (this.wrapupState) this.wrapupTimer = window.setInterval(render, 1000);
    showLoad();
  };

  AgentChat.prototype.wrapupOver = function () {
    window.clearInterval(this.wrapupTimer);
    var hadFocus = this.q(".wrapup").contains(document.activeElement);
    this.wrapupState = null;
    this.q(".wrapup-done").hidden = true;
    this.q(".wrapup-extend").hidden = true;
    this.q(".wrapup-disposition").disabled = true;
    this.q(".wrapup-note").disabled = true;
    var dismiss = this.q(".dismiss");
    if (dismiss) {
      dismiss.hidden = false;
      if (hadFocus) dismiss.focus();
    }
    showLoad();
  };

  /** A chat offered while another is in front of the agent: marked, announced, not switched to. */
  AgentChat.prototype.markNew = function () {
    this.isNew = true;
    this.showBadge();
  };

  function adopt(summary, offered) {
    var chat = chats[summary.chat_id];
    if (chat) {
      chat.update(summary);
    } else {
      chat = new AgentChat(summary);
      chats[summary.chat_id] = chat;
      var shown = tabList.selected();
      if (offered && wantNext) {
        requested[summary.chat_id] = true;
        wantNext = false;
      }
      // Never switch under the agent's hands: a chat they did not ask for only opens when nothing else is open.
      if (!shown || requested[summary.chat_id]) select(chat);
      else if (offered) chat.markNew();
      if (offered && !requested[summary.chat_id]) announce(summary);
    }
    showLoad();
    return chat;
  }

  // --- the socket ------------------------------------------------------------------------------------

  function onFrame(frame) {
    var chat = frame.chat_id ? chats[frame.chat_id] : null;
    document.dispatchEvent(new CustomEvent("clickchat:frame", { detail: frame })); // notes.js, history.js
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
        (frame.wrapups || []).forEach(function (w) { // chats still in wrap-up: their slot is taken
          var wrapping = chats[w.chat_id] || adopt(w.chat, false);
          wrapping.wrapup(w);
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
      case "internal": // notes and whispers (docs/record.md); a whisper also alerts
        if (chat) chat.log.entry(frame, true);
        if (chat && frame.kind === "whisper") chat.alert("whisper");
        break;
      case "attachment.status":
        if (chat) chat.files.status(frame, chat.log.list);
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
        if (chat) {
          chat.showIdle(frame.number, frame.seconds_left);
          if (frame.number >= 2) chat.alert("idle"); // the last warning: the chat ends soon
        }
        break;
      case "wrapup":
        if (chat) chat.wrapup(frame);
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
    if (C.raiseHand) C.raiseHand.onFrame(frame); // raise_hand.js: agent.state, hand, error
  }

  var socket = new C.ResilientSocket({
    url: function () { return "/ws/agent/"; },
    onFrame: onFrame,
    onStatus: function (s) {
      var labels = { connecting: "Connecting…", open: "Connected", reconnecting: "Connection lost: reconnecting…", closed: "Disconnected" };
      var conn = document.getElementById("conn");
      conn.textContent = labels[s] || "";
      conn.setAttribute("data-state", s);
      // a status change or an accept sent while disconnected would be lost: offer them only when they can go
      toggle.disabled = s !== "open";
      document.getElementById("accept-next").disabled = s !== "open";
    },
    onFinal: function (code, why) {
      say(why === "not_logged_in" ? "Your session ended. Log in again." : "This console cannot connect (" + why + ").");
    },
  });
  C.sockets.push(socket);
  socket.connect();
  showLoad();

  // --- what shortcuts.js drives ---------------------------------------------------------------------

  window.clickchatAgent = {
    chats: chats,
    socket: socket, // notes.js
    alerts: alerts,
    say: say,
    current: current,
    acceptNext: function () { document.getElementById("accept-next").click(); },
    toggleStatus: function () { toggle.click(); },
    refreshTargets: function () { targets.refresh(); },
    focusQueue: function () {
      var first = document.querySelector("#queue-rows button");
      if (first) first.focus();
      else say("No one is waiting.");
    },
    step: function (by) {
      var list = tabList.all();
      if (!list.length) return say("No chats open.");
      var next = list[(list.indexOf(tabList.selected()) + by + list.length) % list.length];
      tabList.select(next);
      next.focus();
    },
  };
})();
