/* Provider page (/chat/): hours, the pre-chat form, and one tab per patient chat. */
(function () {
  "use strict";

  var C = window.ClickChat;
  var el = C.el;
  var root = document.getElementById("provider");
  var phone = root.getAttribute("data-phone");
  var STORE_KEY = "clickchat.provider.chats";
  var TYPING_EVERY_MS = 3000;
  var TYPING_SHOWN_MS = 5000;
  var REASONS = {
    idle_timeout: "The chat ended because there was no reply for a while.",
    agent_closed: "The agent closed the chat.",
    chatter_ended: "You ended the chat.",
  };
  var FIELDS = ["transaction_type", "location", "member_id", "first_name", "last_name", "dob", "reference",
    "discharge_within_24h", "question"];
  var chats = {}; // chat_id -> Chat
  var form = document.getElementById("chat-form");
  var tabs = document.getElementById("chat-tabs");
  var newTab = document.getElementById("tab-new");
  var newPanel = document.getElementById("panel-new");

  // --- hours -----------------------------------------------------------------------------------

  function when(iso, tz) {
    return new Date(iso).toLocaleString("en-US", {
      timeZone: tz, weekday: "long", month: "long", day: "numeric", hour: "numeric", minute: "2-digit",
      timeZoneName: "short",
    });
  }

  function showHours(hours) {
    var text = document.getElementById("hours-text");
    var closed = document.getElementById("closed-notice");
    root.setAttribute("data-open", hours.open ? "1" : "0");
    if (hours.open) {
      text.textContent = "Chat is open now" + (hours.closes_at ? ", until " + when(hours.closes_at, hours.timezone) : "") + ".";
      closed.hidden = true;
      form.hidden = false;
    } else {
      var next = hours.next_open ? when(hours.next_open, hours.timezone) : "later";
      text.textContent = "Chat is closed now. It opens again " + next + ".";
      document.getElementById("closed-text").textContent =
        "Chat opens again " + next + ". Chat is open Monday to Friday, 8:00 AM to 6:00 PM Eastern time.";
      closed.hidden = false;
      form.hidden = true;
    }
  }

  function loadHours() {
    fetch("/api/hours/", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(showHours)
      .catch(function () {
        document.getElementById("hours-text").textContent =
          "Could not check chat hours. If chat does not start, call " + phone + ".";
        form.hidden = false;
      });
  }

  // --- tabs ------------------------------------------------------------------------------------

  function allTabs() {
    return Array.prototype.slice.call(tabs.querySelectorAll("[role=tab]"));
  }

  function select(tab) {
    allTabs().forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
      if (on) {
        var badge = t.querySelector(".badge");
        if (badge) badge.remove();
      }
    });
  }

  tabs.addEventListener("click", function (event) {
    var tab = event.target.closest("[role=tab]");
    if (tab) select(tab);
  });
  tabs.addEventListener("keydown", function (event) {
    var list = allTabs();
    var i = list.indexOf(document.activeElement);
    if (i < 0) return;
    var next = null;
    if (event.key === "ArrowRight") next = list[(i + 1) % list.length];
    else if (event.key === "ArrowLeft") next = list[(i - 1 + list.length) % list.length];
    else if (event.key === "Home") next = list[0];
    else if (event.key === "End") next = list[list.length - 1];
    if (next) {
      event.preventDefault();
      select(next);
      next.focus();
    }
  });

  // --- the pre-chat form -------------------------------------------------------------------------

  function clearErrors() {
    FIELDS.forEach(function (name) {
      document.getElementById("e-" + name).textContent = "";
      document.getElementById("f-" + name).removeAttribute("aria-invalid");
    });
    var formError = document.getElementById("form-error");
    formError.hidden = true;
    formError.textContent = "";
  }

  function fieldOf(error) {
    var field = error.field;
    if (field === "patient" || (!field && error.code === "invalid_patient")) return "member_id";
    if (field === "transaction_type" || error.code === "new_referral_not_allowed") return "transaction_type";
    return FIELDS.indexOf(field) >= 0 ? field : null;
  }

  function showError(error) {
    var field = fieldOf(error);
    if (field) {
      document.getElementById("e-" + field).textContent = error.message;
      var input = document.getElementById("f-" + field);
      input.setAttribute("aria-invalid", "true");
      input.focus();
    } else {
      var formError = document.getElementById("form-error");
      formError.textContent = error.message;
      formError.hidden = false;
    }
  }

  function syncTypeToLocation() {
    var location = document.getElementById("f-location");
    var option = location.options[location.selectedIndex];
    var inactive = option && option.getAttribute("data-active") === "0";
    var type = document.getElementById("f-transaction_type");
    Array.prototype.forEach.call(type.options, function (opt) {
      opt.disabled = inactive && opt.value !== "status_inquiry" && opt.value !== "";
    });
    if (inactive && type.value && type.value !== "status_inquiry") type.value = "status_inquiry";
  }
  document.getElementById("f-location").addEventListener("change", syncTypeToLocation);
  document.getElementById("f-transaction_type").addEventListener("change", function () {
    var hint = document.getElementById("h-transaction_type");
    hint.classList.toggle("emphasis", this.value === "new_referral");
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var value = function (name) { return document.getElementById("f-" + name).value.trim(); };
    var body = {
      transaction_type: value("transaction_type"),
      patient: {
        member_id: value("member_id"), first_name: value("first_name"), last_name: value("last_name"), dob: value("dob"),
      },
      location: value("location"),
      reference: value("reference"),
      discharge_within_24h: document.getElementById("f-discharge_within_24h").checked,
      question: value("question"),
    };
    if (!body.transaction_type) {
      showError({ field: "transaction_type", message: "Choose what you need help with." });
      return;
    }
    var button = document.getElementById("start-chat");
    button.disabled = true;
    fetch("/api/chats/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": C.csrfToken() },
      body: JSON.stringify(body),
    })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
      })
      .then(function (reply) {
        button.disabled = false;
        if (reply.status === 200 || reply.status === 201) {
          var label = body.patient.first_name + " " + body.patient.last_name;
          var existing = chats[reply.data.chat_id];
          var chat = existing || openChat({ chat_id: reply.data.chat_id, case_number: reply.data.case_number,
            ws_url: reply.data.ws_url, label: label, member_id: body.patient.member_id });
          if (existing || reply.status === 200) chat.note("You already have a chat open about this patient: here it is.");
          select(chat.tab);
          chat.text.focus();
          form.reset();
          syncTypeToLocation();
          return;
        }
        var error = (reply.data && reply.data.error) || { message: "Something went wrong. Try again, or call " + phone + "." };
        if (reply.status === 401) error = { message: "Your session ended. Please log in again." };
        if (reply.status === 503) loadHours();
        showError(error);
      })
      .catch(function () {
        button.disabled = false;
        showError({ message: "The service could not be reached. Check your connection and try again." });
      });
  });

  // --- one chat ------------------------------------------------------------------------------------

  function stored() {
    try {
      return JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "[]");
    } catch (err) {
      return [];
    }
  }

  function store() {
    var list = Object.keys(chats).filter(function (id) { return !chats[id].ended; }).map(function (id) {
      return chats[id].info;
    });
    try {
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify(list));
    } catch (err) {
      /* private mode: chats just do not survive a reload */
    }
  }

  function Chat(info) {
    var self = this;
    this.info = info;
    this.tracker = new C.SeqTracker();
    this.pending = {}; // client_id -> list item not yet stored
    this.ended = false;
    this.lastTyping = 0;
    this.syncAsked = -1;
    var id = info.chat_id;
    var panel = document.getElementById("chat-panel-template").content.firstElementChild.cloneNode(true);
    panel.id = "panel-" + id;
    panel.setAttribute("aria-labelledby", "tab-" + id);
    panel.setAttribute("data-chat-id", id);
    panel.hidden = true;
    this.panel = panel;
    this.q = function (sel) { return panel.querySelector(sel); };
    this.q(".patient").textContent = info.label;
    this.q(".case-number").textContent = info.case_number;
    this.log = this.q(".log");
    this.text = this.q(".composer-text");
    this.text.id = "msg-" + id;
    this.text.setAttribute("maxlength", root.getAttribute("data-max-chars"));
    this.q(".composer-label").setAttribute("for", this.text.id);
    this.tab = el("button", { type: "button", role: "tab", id: "tab-" + id, "aria-controls": panel.id,
      "aria-selected": "false", className: "tab", tabindex: "-1" }, [
      el("span", { text: info.label }), el("span", { className: "tab-case", text: " · " + info.case_number }),
    ]);
    tabs.appendChild(this.tab);
    document.getElementById("chat-panels").appendChild(panel);

    this.q(".composer").addEventListener("submit", function (event) {
      event.preventDefault();
      self.sendText();
    });
    this.text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        self.sendText();
      }
    });
    this.text.addEventListener("input", function () {
      if (Date.now() - self.lastTyping > TYPING_EVERY_MS && self.socket.send({ type: "typing" })) {
        self.lastTyping = Date.now();
        self.clearIdle();
      }
    });
    var endButton = this.q(".end");
    endButton.addEventListener("click", function () {
      if (endButton.getAttribute("data-armed") === "1") {
        self.socket.send({ type: "end" });
        return;
      }
      endButton.setAttribute("data-armed", "1");
      endButton.textContent = "Click again to end the chat";
      window.setTimeout(function () {
        endButton.removeAttribute("data-armed");
        endButton.textContent = "End chat";
      }, 4000);
    });

    this.socket = new C.ResilientSocket({
      url: function () { return info.ws_url + "?after=" + self.tracker.contiguous; },
      onFrame: function (frame) { self.onFrame(frame); },
      onStatus: function (status) { self.onStatus(status); },
      onFinal: function (code, why) { self.onFinal(code, why); },
    });
    C.sockets.push(this.socket);
    this.socket.connect();
  }

  Chat.prototype.note = function (text) {
    this.append(el("li", { className: "system" }, [el("span", { className: "body", text: text })]), null);
  };

  Chat.prototype.setStatus = function (text) {
    this.q(".status-line").textContent = text;
  };

  Chat.prototype.onStatus = function (status) {
    var labels = { connecting: "Connecting…", open: "Connected", reconnecting: "Connection lost: reconnecting…", closed: "" };
    var conn = this.q(".conn");
    conn.textContent = labels[status] || "";
    conn.setAttribute("data-state", status);
    this.panel.setAttribute("data-conn", status);
  };

  Chat.prototype.onFrame = function (frame) {
    switch (frame.type) {
      case "chat.state":
        this.q(".case-number").textContent = frame.case_number;
        if (frame.status === "waiting") this.showQueue(frame.position, frame.estimated_wait_seconds);
        else if (frame.status === "active") this.setStatus(frame.agent ? "You are chatting with " + frame.agent + "." : "An agent has your chat.");
        break;
      case "queue":
        this.showQueue(frame.position, frame.estimated_wait_seconds);
        break;
      case "agent.joined":
        this.setStatus("You are chatting with " + frame.name + "."); // the transcript's own event says so too
        break;
      case "agent.left":
        this.setStatus(frame.name + " handed your chat on; the next agent will join shortly.");
        break;
      case "typing":
        if (frame.sender_role !== "provider") this.showTyping();
        break;
      case "message":
      case "event":
        this.entry(frame);
        break;
      case "ack":
        this.acked(frame.client_id, frame.seq);
        break;
      case "idle.warning":
        this.showIdle(frame.number, frame.seconds_left);
        break;
      case "ended":
        this.end(frame.reason, frame.case_number);
        break;
      case "error":
        this.onError(frame);
        break;
      default:
        break;
    }
  };

  Chat.prototype.showQueue = function (position, wait) {
    if (!position) return;
    var minutes = Math.ceil((wait || 0) / 60);
    this.setStatus("You are number " + position + " in the queue. " +
      (wait ? "Estimated wait: about " + minutes + " minute" + (minutes === 1 ? "" : "s") + "." : "An agent should join shortly."));
    this.panel.setAttribute("data-position", String(position));
  };

  Chat.prototype.showTyping = function () {
    var typing = this.q(".typing");
    typing.textContent = "The agent is typing…";
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(function () { typing.textContent = ""; }, TYPING_SHOWN_MS);
  };

  Chat.prototype.append = function (item, seq) {
    if (seq === null) {
      this.log.appendChild(item);
    } else {
      item.setAttribute("data-seq", String(seq));
      var after = null;
      var items = this.log.querySelectorAll("li[data-seq]");
      for (var i = 0; i < items.length; i++) {
        if (Number(items[i].getAttribute("data-seq")) > seq) {
          after = items[i];
          break;
        }
      }
      if (!after) after = this.log.querySelector("li.pending");
      this.log.insertBefore(item, after);
    }
    this.log.scrollTop = this.log.scrollHeight;
    if (this.tab.getAttribute("aria-selected") !== "true" && !this.tab.querySelector(".badge")) {
      this.tab.appendChild(el("span", { className: "badge", text: "new" }));
    }
  };

  Chat.prototype.messageItem = function (who, role, at, text) {
    return C.messageItem(who, role === "provider", at, text);
  };

  Chat.prototype.entry = function (frame) {
    if (!this.tracker.add(frame.seq)) return; // already shown (replay after a reconnect)
    if (this.tracker.hasGap() && this.syncAsked !== this.tracker.contiguous) {
      this.syncAsked = this.tracker.contiguous;
      this.socket.send({ type: "sync", after: this.tracker.contiguous });
    }
    var mine = frame.client_id && this.pending[frame.client_id];
    if (mine) {
      delete this.pending[frame.client_id];
      this.append(C.confirmPending(mine, frame), frame.seq);
      return;
    }
    if (frame.type === "message") {
      this.append(this.messageItem(frame.sender || "", frame.sender_role, frame.at, frame.text), frame.seq);
    } else {
      this.append(C.eventItem(frame), frame.seq);
    }
  };

  Chat.prototype.sendText = function () {
    var text = this.text.value.trim();
    if (!text || this.ended) return;
    var clientId = C.uuid();
    var item = C.markPending(this.messageItem("You", "provider", null, text), this.socket.isOpen());
    item.setAttribute("data-client-id", clientId);
    this.pending[clientId] = item;
    this.log.appendChild(item);
    this.log.scrollTop = this.log.scrollHeight;
    this.socket.sendReliable({ type: "message", client_id: clientId, text: text });
    this.text.value = "";
    this.clearIdle();
  };

  Chat.prototype.acked = function (clientId) {
    var item = this.pending[clientId];
    if (!item) return;
    item.classList.remove("queued");
    var state = item.querySelector(".state");
    if (state) state.textContent = "Sent";
  };

  Chat.prototype.onError = function (frame) {
    if (frame.client_id && this.pending[frame.client_id]) {
      var item = this.pending[frame.client_id];
      if (frame.code !== "rate_limited") this.socket.forget(frame.client_id);
      item.classList.add("failed");
      item.querySelector(".state").textContent = "Not sent: " + frame.message;
      return;
    }
    if (frame.code !== "bad_frame") this.setStatus(frame.message);
  };

  Chat.prototype.showIdle = function (number, secondsLeft) {
    var box = this.q(".idle-warning");
    var deadline = Date.now() + secondsLeft * 1000;
    var countdown = this.q(".idle-countdown");
    box.hidden = false;
    this.q(".idle-text").textContent = (number >= 2 ? "Final warning: " : "Are you still there? ") +
      "This chat will end for inactivity unless you send a message.";
    var tick = function () {
      countdown.textContent = C.duration((deadline - Date.now()) / 1000);
    };
    tick();
    window.clearInterval(this.idleTimer);
    this.idleTimer = window.setInterval(tick, 1000);
  };

  Chat.prototype.clearIdle = function () {
    window.clearInterval(this.idleTimer);
    this.q(".idle-warning").hidden = true;
  };

  Chat.prototype.end = function (reason, caseNumber) {
    if (this.ended) return;
    this.ended = true;
    this.clearIdle();
    this.socket.stop();
    this.q(".typing").textContent = "";
    var box = this.q(".ended");
    C.clear(box);
    box.appendChild(el("h3", { text: "This chat has ended" }));
    box.appendChild(el("p", { text: REASONS[reason] || "The chat is over." }));
    box.appendChild(el("p", {}, ["Your case number is ", el("strong", { text: caseNumber || this.info.case_number }),
      ". Quote it if you call the care and service center at " + phone + "."]));
    box.hidden = false;
    this.setStatus("Chat ended.");
    this.q(".composer").hidden = true;
    this.panel.setAttribute("data-ended", reason || "ended");
    store();
  };

  Chat.prototype.onFinal = function (code, why) {
    if (why === "ended" || why === "idle_timeout") this.end(why === "idle_timeout" ? "idle_timeout" : null, null);
    else if (why === "not_logged_in") this.setStatus("Your session ended. Please log in again to continue this chat.");
    else if (why === "forbidden" || why === "not_found") this.end(null, null);
  };

  function openChat(info) {
    var chat = new Chat(info);
    chats[info.chat_id] = chat;
    store();
    return chat;
  }

  select(newTab);
  newPanel.hidden = false;
  syncTypeToLocation();
  loadHours();
  window.setInterval(loadHours, 60000);
  stored().forEach(function (info) {
    if (!chats[info.chat_id]) openChat(info);
  });
  window.clickchatProvider = { chats: chats };
})();
