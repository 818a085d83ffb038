/* Provider page (/chat/): hours, the pre-chat form, and one tab per patient chat. */
(function () {
  "use strict";

  var C = window.ClickChat;
  var el = C.el;
  var root = document.getElementById("provider");
  var phone = root.getAttribute("data-phone");
  var STORE_KEY = "clickchat.provider.chats";
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

  /** "08:00" -> "8:00 AM", "24:00" -> "midnight". */
  function wallClock(hhmm) {
    var h = Number(hhmm.slice(0, 2));
    var m = hhmm.slice(3, 5);
    if (h === 24 || (h === 0 && m === "00")) return "midnight";
    return ((h + 11) % 12 + 1) + ":" + m + (h < 12 ? " AM" : " PM");
  }

  function zoneName(tz) {
    try {
      var parts = new Intl.DateTimeFormat("en-US", { timeZone: tz, timeZoneName: "longGeneric" }).formatToParts(new Date());
      var name = parts.filter(function (p) { return p.type === "timeZoneName"; })[0];
      return name ? name.value.replace(/ Time$/, " time") : tz;
    } catch (err) {
      return tz;
    }
  }

  /** The weekly schedule of /api/hours/ in words: "Monday to Friday, 8:00 AM to 6:00 PM Eastern time" (or ""). */
  function weeklyText(hours) {
    var days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    var week = hours.weekly || [];
    var periods = function (day) {
      return (week[day] || []).map(function (p) {
        return p[0] === "00:00" && p[1] === "24:00" ? "all day" : wallClock(p[0]) + " to " + wallClock(p[1]);
      }).join(" and ");
    };
    var groups = [];
    for (var d = 0; d < 7; d++) {
      var text = periods(d);
      var last = groups[groups.length - 1];
      if (!text) continue;
      if (last && last.text === text && last.to === d - 1) last.to = d;
      else groups.push({ from: d, to: d, text: text });
    }
    if (!groups.length) return "";
    return groups.map(function (g) {
      var span = g.from === 0 && g.to === 6 ? "every day" : g.from === g.to ? days[g.from] : days[g.from] + " to " + days[g.to];
      return span + ", " + g.text;
    }).join("; ") + " " + zoneName(hours.timezone);
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
      var weekly = weeklyText(hours);
      text.textContent = "Chat is closed now. It opens again " + next + ".";
      document.getElementById("closed-text").textContent =
        "Chat opens again " + next + "." + (weekly ? " Chat is open " + weekly + "." : "");
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

  var tabList = new C.Tabs(tabs, {
    onSelect: function (tab) {
      var badge = tab.querySelector(".badge");
      if (badge) badge.remove();
    },
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
          tabList.select(chat.tab);
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
    this.ended = false;
    var id = info.chat_id;
    var panel = C.chatPanel("chat-panel-template", id);
    this.panel = panel;
    this.q = function (sel) { return panel.querySelector(sel); };
    this.q(".patient").textContent = info.label;
    this.q(".case-number").textContent = info.case_number;
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
    this.log = new C.ChatLog({
      panel: panel,
      typingText: "The agent is typing…",
      reader: "the agent",
      mine: function (role) { return role === "provider"; },
      socket: function () { return self.socket; },
      syncFrame: function (after) { return { type: "sync", after: after }; },
      messageFrame: function (clientId, text) { return { type: "message", client_id: clientId, text: text }; },
      typingFrame: function () { return { type: "typing" }; },
      onAppend: function () { self.badge(); },
    });

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
      if (self.log.typed()) self.clearIdle();
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
      url: function () { return info.ws_url + "?after=" + self.log.after(); },
      onFrame: function (frame) { self.onFrame(frame); },
      onStatus: function (status) { self.onStatus(status); },
      onFinal: function (code, why) { self.onFinal(code, why); },
    });
    C.sockets.push(this.socket);
    this.socket.connect();
  }

  Chat.prototype.note = function (text) {
    this.log.note(text);
  };

  /** A "new" mark on the tab of a chat in the background. */
  Chat.prototype.badge = function () {
    if (this.tab.getAttribute("aria-selected") !== "true" && !this.tab.querySelector(".badge")) {
      this.tab.appendChild(el("span", { className: "badge", text: "new" }));
    }
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
        if (frame.sender_role !== "provider") this.log.typing();
        break;
      case "message":
      case "event":
        this.log.entry(frame, true);
        break;
      case "head":
        this.log.head(frame.seq);
        break;
      case "ack":
        this.log.acked(frame);
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

  Chat.prototype.sendText = function () {
    var text = this.text.value.trim();
    if (!text || this.ended) return;
    this.log.send(text);
    this.text.value = "";
    this.clearIdle();
  };

  Chat.prototype.onError = function (frame) {
    if (this.log.refused(frame)) return;
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
    this.log.stopTyping();
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

  tabList.select(newTab);
  newPanel.hidden = false;
  syncTypeToLocation();
  loadHours();
  window.setInterval(loadHours, 60000);
  stored().forEach(function (info) {
    if (!chats[info.chat_id]) openChat(info);
  });
  window.clickchatProvider = { chats: chats };
})();
