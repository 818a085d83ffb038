/* Provider page (/chat/): hours, the pre-chat form, and one tab per patient chat. */
(function () {
  "use strict";

  var C = window.ClickChat;
  var el = C.el;
  var root = document.getElementById("provider");
  var phone = root.getAttribute("data-phone");
  var REASONS = {
    idle_timeout: "The chat ended because there was no reply for a while.",
    agent_closed: "The agent closed the chat.",
    chatter_ended: "You ended the chat.",
  };
  var IDLE_ANNOUNCE_AT = [60, 10]; // seconds left at which the countdown is announced (besides its start)
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
    var offer = hours.leave_message || {};
    root.setAttribute("data-open", hours.open ? "1" : "0");
    if (!offer.offered && leaving) setLeaving(false); // chat opened (or the wait got short): a chat it is
    if (hours.open) {
      text.textContent = "Chat is open now" + (hours.closes_at ? ", until " + when(hours.closes_at, hours.timezone) : "") + ".";
      closed.hidden = true;
      form.hidden = false;
      showWaitNotice(offer);
    } else {
      showWaitNotice({});
      var next = hours.next_open ? when(hours.next_open, hours.timezone) : "later";
      var weekly = weeklyText(hours);
      text.textContent = "Chat is closed now. It opens again " + next + ".";
      document.getElementById("closed-text").textContent =
        "Chat opens again " + next + "." + (weekly ? " Chat is open " + weekly + "." : "");
      closed.hidden = false;
      form.hidden = !leaving;
      document.getElementById("leave-message-open").hidden = leaving;
    }
  }

  // --- leave a message (after hours, or a long wait): the same form plus the message ----------------

  var leaving = false;

  function showWaitNotice(offer) {
    var box = document.getElementById("wait-notice");
    box.hidden = !(offer.offered && offer.reason === "long_wait") || leaving;
    if (box.hidden) return;
    var wait = offer.estimated_wait_seconds;
    document.getElementById("wait-text").textContent = (wait === null || wait === undefined
      ? "No agent is available yet."
      : "The wait is long right now: about " + Math.ceil(wait / 60) + " minutes.") +
      " You can leave a message instead: an agent answers it as soon as one is free, and you do not need to stay online.";
  }

  /** The form in "leave a message" mode (or back to starting a chat). */
  function setLeaving(on) {
    leaving = on;
    root.setAttribute("data-leaving", on ? "1" : "0");
    document.getElementById("form-title").textContent = on ? "Leave a message about one patient" : "Start a chat about one patient";
    document.getElementById("message-mode-hint").hidden = !on;
    document.getElementById("l-question").textContent = on ? "Your message (required)" : "Your question";
    document.getElementById("start-chat").textContent = on ? "Leave message" : "Start chat";
    document.getElementById("f-question").required = on;
    document.getElementById("leave-message-open").hidden = on;
    if (on) document.getElementById("wait-notice").hidden = true;
  }

  function startLeaving() {
    setLeaving(true);
    form.hidden = false;
    document.getElementById("form-title").setAttribute("tabindex", "-1");
    document.getElementById("form-title").focus();
  }
  document.getElementById("leave-message-open").addEventListener("click", startLeaving);
  document.getElementById("leave-message-instead").addEventListener("click", startLeaving);

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
      if (tab.id === "tab-mine") loadMine();
    },
  });

  // --- My chats: case number, patient, type, status, agent, last activity (no transcript bodies) ---

  var STATUS_WORDS = { held: "Message left: waits for chat to open", waiting: "Waiting for an agent", active: "Open",
    ended: "Ended" };

  function loadMine() {
    var query = "?status=" + encodeURIComponent(document.getElementById("mine-status").value) +
      "&q=" + encodeURIComponent(document.getElementById("mine-q").value.trim());
    var summary = document.getElementById("mine-summary");
    var body = document.querySelector("#mine-table tbody");
    summary.textContent = "Loading your chats…";
    fetch("/api/chats/" + query, { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
      .then(function (reply) {
        C.clear(body);
        if (!reply.ok) {
          summary.textContent = (reply.data.error && reply.data.error.message) || "Your chats could not be listed.";
          return;
        }
        var rows = reply.data.chats || [];
        rows.forEach(function (row) {
          var caseCell = (chats[row.chat_id] && !chats[row.chat_id].ended) || row.unread
            ? el("button", { type: "button", className: "link", text: row.case_number,
              "aria-label": (row.unread ? "Read the answer of case " : "Open the chat of case ") + row.case_number,
              onclick: function () { showChat(row); } })
            : el("span", { text: row.case_number });
          body.appendChild(el("tr", { "data-chat-id": row.chat_id }, [
            el("td", {}, [caseCell]),
            el("td", { text: row.patient.first_name + " " + row.patient.last_name + " (" + row.patient.member_id + ")" }),
            el("td", { text: row.transaction_type_label }),
            el("td", {}, [STATUS_WORDS[row.status] || row.status, row.left_message ? " (message)" : null,
              row.unread ? el("strong", { className: "unread", text: " New answer" }) : null]),
            el("td", { text: row.agent || "—" }),
            el("td", {}, [C.commitments ? C.commitments.cell(row.commitments) : el("span", { text: "—" })]),
            el("td", {}, [el("time", { datetime: row.last_activity, text: new Date(row.last_activity).toLocaleString() })]),
          ]));
        });
        summary.textContent = rows.length ? rows.length + " chat" + (rows.length === 1 ? "" : "s") + "." : "No chats match.";
      })
      .catch(function () {
        summary.textContent = "Your chats could not be listed. Check your connection and try again.";
      });
  }
  document.getElementById("mine-filter").addEventListener("submit", function (event) {
    event.preventDefault();
    loadMine();
  });

  // --- the pre-chat form -------------------------------------------------------------------------

  function clearErrors() {
    FIELDS.forEach(function (name) {
      document.getElementById("e-" + name).textContent = "";
      document.getElementById("f-" + name).removeAttribute("aria-invalid");
    });
    document.getElementById("h-transaction_type").hidden = false;
    document.getElementById("f-transaction_type").setAttribute("aria-describedby", "e-transaction_type h-transaction_type");
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

  var PLAIN = { // the API's wording of a field problem, in the words of the form
    transaction_type: "Choose what you need help with.",
    member_id: "Enter the patient's member id.",
    first_name: "Enter the patient's first name.",
    last_name: "Enter the patient's last name.",
    dob: "Enter the patient's date of birth.",
    reference: "A status inquiry needs the intake id or authorization number.",
    location: "Choose a location.",
  };

  /** An API error in plain words: the API's own sentence when it is already written for people. */
  function plainMessage(field, error) {
    var text = error.message || "";
    if (error.code === "new_referral_not_allowed" || error.code === "patient_mismatch" ||
      error.code === "location_not_allowed" || error.code === "location_inactive") return text;
    if (/ is required\.$/.test(text) && PLAIN[field]) return PLAIN[field];
    if (field === "dob") return /past/.test(text) ? "The date of birth must be in the past." : PLAIN.dob;
    if (/control characters/.test(text)) return "Remove the special characters from this field.";
    var longer = text.match(/longer than (\d+) characters/);
    if (longer) return "This is too long: use at most " + longer[1] + " characters.";
    if (/must be text|must be true or false/.test(text) && PLAIN[field]) return PLAIN[field];
    return text;
  }

  /** Show every problem at once, each next to its field; focus the first. */
  function showErrors(errors) {
    var first = null;
    var general = [];
    errors.forEach(function (error) {
      var field = fieldOf(error);
      if (!field) {
        general.push(error.message);
        return;
      }
      document.getElementById("e-" + field).textContent = plainMessage(field, error);
      var input = document.getElementById("f-" + field);
      input.setAttribute("aria-invalid", "true");
      if (field === "transaction_type" && error.code === "new_referral_not_allowed") {
        document.getElementById("h-transaction_type").hidden = true; // the error says it: say it once
        input.setAttribute("aria-describedby", "e-transaction_type");
      }
      if (!first) first = input;
    });
    var formError = document.getElementById("form-error");
    var marked = errors.length - general.length;
    var summary = general.slice();
    if (marked > 1) summary.push("Please correct the " + marked + " fields marked below.");
    if (summary.length) {
      formError.textContent = summary.join(" ");
      formError.hidden = false;
    }
    if (first) first.focus();
    else if (summary.length) formError.focus();
  }

  function showError(error) {
    showErrors([error]);
  }

  /** Local date "YYYY-MM-DD" (the date picker's format). */
  function isoDate(date) {
    return date.getFullYear() + "-" + String(date.getMonth() + 1).padStart(2, "0") + "-" + String(date.getDate()).padStart(2, "0");
  }

  /** The form's own checks, all at once, before asking the API (which names only its first problem). */
  function formProblems(body) {
    var problems = [];
    if (!body.transaction_type) problems.push({ field: "transaction_type", message: PLAIN.transaction_type });
    else if (body.transaction_type === "new_referral") {
      problems.push({ field: "transaction_type", code: "new_referral_not_allowed",
        message: "New referrals cannot be made by chat. Submit the referral through the portal's referral form, " +
          "or call the care and service center at " + phone + "." });
    }
    ["member_id", "first_name", "last_name"].forEach(function (name) {
      if (!body.patient[name]) problems.push({ field: name, message: PLAIN[name] });
    });
    var dob = body.patient.dob;
    var latest = document.getElementById("f-dob").getAttribute("max");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(dob)) problems.push({ field: "dob", message: PLAIN.dob });
    else if (dob > (latest || isoDate(new Date()))) problems.push({ field: "dob", message: "The date of birth must be in the past." });
    else if (dob < "1900-01-01") problems.push({ field: "dob", message: "Check the year of the date of birth." });
    if (body.transaction_type === "status_inquiry" && !body.reference) problems.push({ field: "reference", message: PLAIN.reference });
    if (body.leave_message && !body.question) problems.push({ field: "question", message: "Write your message: it is what the agent answers." });
    return problems;
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
    if (leaving) body.leave_message = true;
    var problems = formProblems(body);
    if (problems.length) {
      showErrors(problems);
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
          var existing = chats[reply.data.chat_id];
          var chat = existing || openChat({ chat_id: reply.data.chat_id, case_number: reply.data.case_number,
            ws_url: reply.data.ws_url, patient: body.patient, location: body.location,
            transaction_type: body.transaction_type });
          if (reply.data.left_message && reply.status === 201) {
            chat.note("Your message was left: case " + reply.data.case_number + ". " + (reply.data.status === "held"
              ? "An agent will answer it when chat opens."
              : "An agent will answer it as soon as one is free.") +
              " You do not need to stay online: the answer shows in My chats and in this tab.");
            setLeaving(false);
            loadHours();
          } else if (existing || reply.status === 200) {
            chat.note("You already have a chat open about this patient, so your new request was added to it" +
              (body.question ? " and your question was sent to the agent." : "."));
          }
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

  /** The provider's open chats, from the server: they come back as tabs on every page load. */
  function loadOpenChats() {
    return fetch("/api/chats/?status=open", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { chats: [] }; })
      .then(function (data) {
        (data.chats || []).slice().reverse().forEach(function (row) {
          if (!chats[row.chat_id]) openChat(row);
        });
        root.setAttribute("data-restored", String((data.chats || []).length));
      })
      .catch(function () {
        root.setAttribute("data-restored", "0");
      });
  }

  function Chat(info) {
    var self = this;
    this.info = info;
    this.ended = false;
    var id = info.chat_id;
    var label = info.patient.first_name + " " + info.patient.last_name;
    var panel = C.chatPanel("chat-panel-template", id);
    this.panel = panel;
    this.q = function (sel) { return panel.querySelector(sel); };
    this.q(".patient").textContent = label;
    this.q(".case-number").textContent = info.case_number;
    this.text = this.q(".composer-text");
    this.text.id = "msg-" + id;
    this.text.setAttribute("maxlength", root.getAttribute("data-max-chars"));
    this.q(".composer-label").setAttribute("for", this.text.id);
    this.tab = el("button", { type: "button", role: "tab", id: "tab-" + id, "aria-controls": panel.id,
      "aria-selected": "false", className: "tab", tabindex: "-1" }, [
      el("span", { text: label }), el("span", { className: "tab-case", text: " · " + info.case_number }),
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
      onEntry: function (frame, live) {
        if (live && frame.event === "message_released") self.setStatus("Chat is open: your message is in the queue.");
      },
      renderEntry: function (frame) { return self.files.item(frame); },
      onRepeat: function (frame) { self.files.refresh(frame, self.log.list); },
      replayFrom: function () { return self.files.replayFrom(); },
    });
    this.files = new C.Attachments({ panel: panel, chatId: id, limits: C.attachmentLimits(root),
      mine: function (role) { return role === "provider"; } });

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
      if (self.log.typed()) self.clearIdle(false);
    });
    this.q(".still-here").addEventListener("click", function () {
      if (self.socket.send({ type: "active" })) self.clearIdle(true);
    });
    this.q(".retry").addEventListener("click", function () {
      self.socket.reconnectNow();
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
    if (this.ended) status = "closed"; // an ended chat has no connection to speak of
    this.q(".retry").hidden = status !== "reconnecting";
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
        if (frame.status === "held") this.setStatus("Your message waits for chat to open; an agent will answer it then. You do not need to stay online.");
        if (frame.status === "waiting") this.showQueue(frame.position, frame.estimated_wait_seconds);
        else if (frame.status === "active") this.setStatus(frame.agent ? "You are chatting with " + frame.agent + "." : "Connecting you to an agent…");
        if (frame.idle_warnings && typeof frame.idle_seconds_left === "number") this.showIdle(frame.idle_warnings, frame.idle_seconds_left);
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
        if (frame.commitment && C.commitments) C.commitments.show(this.panel, frame.commitment); // commitments.js
        break;
      case "skip": // a seq the provider does not see (docs/record.md)
        this.log.skip(frame.seq);
        break;
      case "attachment.status":
        this.files.status(frame, this.log.list);
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
      case "idle.cleared":
        this.clearIdle(false);
        break;
      case "ended":
        this.end(frame.reason, frame.case_number, frame);
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
    var estimate = wait === null || wait === undefined
      ? "No agent is available yet: an agent will join as soon as one starts working."
      : wait ? "Estimated wait: about " + minutes + " minute" + (minutes === 1 ? "" : "s") + "." : "An agent should join shortly.";
    this.setStatus("You are number " + position + " in the queue. " + estimate);
    this.panel.setAttribute("data-position", String(position));
  };

  Chat.prototype.sendText = function () {
    var text = this.text.value.trim();
    if (!text || this.ended) return;
    this.log.send(text);
    this.text.value = "";
    this.clearIdle(false);
  };

  Chat.prototype.onError = function (frame) {
    if (this.log.refused(frame)) return;
    if (frame.code !== "bad_frame") this.setStatus(frame.message);
  };

  /** Whether this chat's panel is the one shown. */
  Chat.prototype.selected = function () {
    return this.tab.getAttribute("aria-selected") === "true";
  };

  /**
   * An idle warning (WCAG 2.2.1): announced once, then at 60 s and 10 s left (the visible countdown
   * itself is not live); focus moves to the warning, and back when "I'm still here" clears it.
   */
  Chat.prototype.showIdle = function (number, secondsLeft) {
    var box = this.q(".idle-warning");
    var deadline = Date.now() + secondsLeft * 1000;
    var countdown = this.q(".idle-countdown");
    var announce = this.q(".idle-announce");
    var lead = number >= 2 ? "Final warning: " : "Are you still there? ";
    this.q(".idle-title").textContent = number >= 2 ? "Final warning" : "Are you still there?";
    this.q(".idle-text").textContent =
      "This chat will end for inactivity unless you type, send a message or choose \u201cI'm still here\u201d.";
    var pending = IDLE_ANNOUNCE_AT.filter(function (at) { return at < secondsLeft; });
    announce.textContent = lead + "This chat ends for inactivity in " + C.duration(secondsLeft) +
      " unless you type, send a message or choose I'm still here.";
    var tick = function () {
      var left = (deadline - Date.now()) / 1000;
      countdown.textContent = C.duration(left);
      if (pending.length && left <= pending[0]) {
        var at = pending.shift();
        announce.textContent = (at >= 60 ? "1 minute" : at + " seconds") + " left before this chat ends for inactivity.";
      }
    };
    tick();
    window.clearInterval(this.idleTimer);
    this.idleTimer = window.setInterval(tick, 1000);
    var wasHidden = box.hidden;
    box.hidden = false;
    if (wasHidden && this.selected()) {
      var active = document.activeElement;
      this.focusBack = active && active !== document.body && !box.contains(active) ? active : null;
      box.focus();
    }
    if (!this.selected() && !this.tab.querySelector(".idle-mark")) {
      this.tab.appendChild(el("span", { className: "idle-mark", text: "idle warning" }));
    }
    this.panel.setAttribute("data-idle", String(number));
  };

  /** The warning is over (activity, or the chat ended); `restore` puts focus back where it was. */
  Chat.prototype.clearIdle = function (restore) {
    window.clearInterval(this.idleTimer);
    var box = this.q(".idle-warning");
    var hadFocus = box.contains(document.activeElement);
    box.hidden = true;
    this.q(".idle-announce").textContent = "";
    this.panel.removeAttribute("data-idle");
    var mark = this.tab.querySelector(".idle-mark");
    if (mark) mark.remove();
    if ((restore || hadFocus) && !this.ended) {
      var back = this.focusBack && document.body.contains(this.focusBack) && !this.focusBack.closest("[hidden]")
        ? this.focusBack : this.text;
      back.focus();
    }
    this.focusBack = null;
  };

  Chat.prototype.end = function (reason, caseNumber, frame) {
    if (this.ended) return;
    var self = this;
    var focusInside = this.panel.contains(document.activeElement) || document.activeElement === document.body;
    this.ended = true;
    this.clearIdle(false);
    this.socket.stop();
    this.onStatus("closed");
    this.log.stopTyping();
    var box = this.q(".ended");
    C.clear(box);
    var heading = el("h3", { text: "This chat has ended", tabindex: "-1" });
    box.appendChild(heading);
    box.appendChild(el("p", { text: REASONS[reason] || "The chat is over." }));
    box.appendChild(el("p", {}, ["Your case number is ", el("strong", { text: caseNumber || this.info.case_number }),
      ". Quote it if you call the care and service center at " + phone + "."]));
    if (C.commitments) C.commitments.ended(this.panel, box, frame); // the agent's name and the commitments again
    box.appendChild(this.checkForm());
    box.appendChild(el("button", { type: "button", className: "again", text: "Start a new chat about this patient",
      onclick: function () { self.startAgain(); } }));
    box.hidden = false;
    this.setStatus("Chat ended.");
    this.q(".composer").hidden = true;
    this.tab.classList.add("ended");
    this.panel.setAttribute("data-ended", reason || "ended");
    if (focusInside && this.selected()) heading.focus(); // not the page body: where the chat's end is said
  };

  /** "Was your question resolved?" yes/no and an optional 1-5 rating, sent once (no free text). */
  Chat.prototype.checkForm = function () {
    var id = this.info.chat_id;
    var radio = function (name, value, text) {
      return el("label", { className: "choice" }, [el("input", { type: "radio", name: name + "-" + id, value: value }), " " + text]);
    };
    var ratings = [["1", "1 (poor)"], ["2", "2"], ["3", "3"], ["4", "4"], ["5", "5 (excellent)"]];
    var error = el("p", { className: "field-error", id: "check-error-" + id });
    var result = el("p", { className: "check-result", role: "status" });
    var resolvedSet = el("fieldset", { "aria-describedby": error.id }, [el("legend", { text: "Was your question resolved?" }),
      radio("resolved", "yes", "Yes"), radio("resolved", "no", "No")]);
    var ratingSet = el("fieldset", {}, [el("legend", { text: "How would you rate this chat? (optional)" })]
      .concat(ratings.map(function (r) { return radio("rating", r[0], r[1]); })));
    var button = el("button", { type: "submit", text: "Send answer" });
    var checkForm = el("form", { className: "post-check", "aria-label": "After the chat" }, [resolvedSet, error, ratingSet, button, result]);
    checkForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = function (name) {
        var input = checkForm.querySelector("input[name='" + name + "-" + id + "']:checked");
        return input ? input.value : null;
      };
      error.textContent = "";
      if (!chosen("resolved")) {
        error.textContent = "Choose yes or no.";
        resolvedSet.querySelector("input").focus();
        return;
      }
      var body = { resolved: chosen("resolved") === "yes" };
      if (chosen("rating")) body.rating = Number(chosen("rating"));
      button.disabled = true;
      fetch("/api/chats/" + id + "/check/", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": C.csrfToken() }, body: JSON.stringify(body),
      })
        .then(function (r) { return r.json().catch(function () { return {}; }).then(function (d) { return { status: r.status, data: d }; }); })
        .then(function (reply) {
          if (reply.status === 201 || (reply.data.error && reply.data.error.code === "already_answered")) {
            resolvedSet.hidden = true;
            ratingSet.hidden = true;
            button.hidden = true;
            result.textContent = "Thank you: your answer was recorded.";
            return;
          }
          button.disabled = false;
          error.textContent = (reply.data.error && reply.data.error.message) || "Your answer could not be sent. Try again.";
        })
        .catch(function () {
          button.disabled = false;
          error.textContent = "Your answer could not be sent. Check your connection and try again.";
        });
    });
    return checkForm;
  };

  /** The pre-chat form, filled in with this chat's patient and location, ready for a new question. */
  Chat.prototype.startAgain = function () {
    var p = this.info.patient;
    form.reset();
    clearErrors();
    ["member_id", "first_name", "last_name", "dob"].forEach(function (name) {
      document.getElementById("f-" + name).value = p[name] || "";
    });
    var location = document.getElementById("f-location");
    if (this.info.location) location.value = this.info.location;
    syncTypeToLocation();
    tabList.select(newTab);
    document.getElementById("f-transaction_type").focus();
  };

  Chat.prototype.onFinal = function (code, why) {
    if (why === "ended" || why === "idle_timeout") this.end(why === "idle_timeout" ? "idle_timeout" : null, null);
    else if (why === "not_logged_in") this.setStatus("Your session ended. Please log in again to continue this chat.");
    else if (why === "forbidden" || why === "not_found") this.end(null, null);
  };

  /** A chat's tab, opened for it if needed (an answered message that ended meanwhile too), selected. */
  function showChat(row) {
    var chat = chats[row.chat_id] || openChat(row);
    tabList.select(chat.tab);
    chat.tab.focus();
  }

  /** "An agent answered your message": one line per answer not read yet, the case number a button. */
  function loadAnswers() {
    return fetch("/api/chats/?status=all", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { chats: [] }; })
      .then(function (data) {
        var unread = (data.chats || []).filter(function (row) { return row.unread; });
        var box = document.getElementById("answers-notice");
        C.clear(box);
        box.hidden = !unread.length;
        unread.forEach(function (row) {
          box.appendChild(el("p", {}, ["An agent answered the message you left, case ",
            el("button", { type: "button", className: "link", text: row.case_number,
              "aria-label": "Read the answer of case " + row.case_number,
              onclick: function () { showChat(row); } }), "."]));
        });
      })
      .catch(function () { /* the answers still show in My chats */ });
  }

  function openChat(info) {
    var chat = new Chat(info);
    chats[info.chat_id] = chat;
    return chat;
  }

  tabList.select(newTab);
  newPanel.hidden = false;
  syncTypeToLocation();
  loadHours();
  window.setInterval(loadHours, 60000);
  loadAnswers().then(loadOpenChats);
  window.clickchatProvider = { chats: chats };
})();
