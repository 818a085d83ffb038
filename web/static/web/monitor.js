/* Click-to-Chat supervisor floor: monitor -> whisper -> barge on a monitored chat (docs/record.md).
 *
 * supervisor.js opens a section per monitored chat and announces it (`clickchat:monitor`); this
 * adds the mode switch (Monitor silently / Whisper to the agent / Join the chat), a composer whose
 * words go to the agent only (whisper) or to everyone (after joining), and an internal note form.
 * A mode change is a `mode` frame; the server answers `mode` and writes the change to the
 * transcript. Whispers, messages and notes are sent until acked (one client_id each).
 */
(function () {
  "use strict";

  var C = window.ClickChat;
  var el = C.el;
  var MODES = [
    ["monitor", "Monitor silently"],
    ["whisper", "Whisper to the agent"],
    ["barge", "Join the chat"],
  ];
  var STATES = {
    monitor: "Read-only: the provider and the agent do not see you.",
    whisper: "Whispering: only the agent sees what you write; the provider does not.",
    barge: "Joined: the provider and the agent see you and your messages.",
  };
  var tools = {}; // chat_id -> this chat's controls
  var sent = {}; // client_id -> {tools, kind}

  function Tools(detail) {
    var self = this;
    var chat = detail.chat;
    this.id = chat.chat_id;
    this.socket = detail.socket;
    this.state = detail.state;
    this.mode = "monitor";
    var name = "mode-" + this.id;
    this.radios = {};
    var fieldset = el("fieldset", {}, [el("legend", { text: "Mode for case " + chat.case_number })].concat(MODES.map(function (m) {
      var input = el("input", { type: "radio", name: name, id: name + "-" + m[0], value: m[0], checked: m[0] === "monitor" });
      input.addEventListener("change", function () { if (input.checked) self.ask(m[0]); });
      self.radios[m[0]] = input;
      return el("span", {}, [input, " ", el("label", { for: input.id, text: m[1] })]);
    })));
    this.modeState = el("p", { className: "mode-state", role: "status" });
    var textId = "say-" + this.id;
    this.label = el("label", { for: textId });
    this.text = el("textarea", { id: textId, rows: "2" });
    this.composer = el("form", { className: "monitor-say", hidden: true }, [this.label, this.text,
      el("button", { type: "submit", className: "send", text: "Send" })]);
    this.composer.addEventListener("submit", function (event) {
      event.preventDefault();
      self.send(self.mode === "barge" ? "message" : "whisper", self.text);
    });
    var noteId = "note-" + this.id;
    this.note = el("textarea", { id: noteId, rows: "2" });
    var noteForm = el("form", { className: "monitor-note" }, [
      el("label", { for: noteId, text: "Internal note (staff only: the provider never sees it)" }), this.note,
      el("button", { type: "submit", className: "secondary", text: "Add note" })]);
    noteForm.addEventListener("submit", function (event) {
      event.preventDefault();
      self.send("note", self.note);
    });
    this.box = el("div", { className: "monitor-tools" }, [fieldset, this.modeState, this.composer, noteForm]);
    var stop = detail.section.querySelector("button.secondary");
    detail.section.insertBefore(this.box, stop);
    this.show("monitor");
  }

  Tools.prototype.ask = function (mode) {
    this.modeState.textContent = "Switching…";
    if (!this.socket.send({ type: "mode", chat_id: this.id, mode: mode })) {
      this.modeState.textContent = "Not connected: try again when the floor is live.";
      this.radios[this.mode].checked = true;
    }
  };

  Tools.prototype.show = function (mode) {
    this.mode = mode;
    this.radios[mode].checked = true;
    this.state.textContent = STATES[mode];
    this.modeState.textContent = mode === "monitor" ? "" : STATES[mode];
    this.composer.hidden = mode === "monitor";
    this.label.textContent = mode === "barge" ? "Message to the provider and the agent" : "Whisper to the agent (the provider does not see it)";
  };

  Tools.prototype.send = function (kind, input) {
    var text = input.value.trim();
    if (!text) return;
    var clientId = C.uuid();
    sent[clientId] = { tools: this, kind: kind };
    this.socket.sendReliable({ type: kind, chat_id: this.id, client_id: clientId, text: text });
    input.value = "";
  };

  document.addEventListener("clickchat:monitor", function (event) {
    tools[event.detail.chat.chat_id] = new Tools(event.detail);
  });

  document.addEventListener("clickchat:floor-frame", function (event) {
    var frame = event.detail;
    var t = frame.chat_id && tools[frame.chat_id];
    if (frame.type === "monitor.stopped") {
      delete tools[frame.chat_id];
      return;
    }
    if (!t) return;
    if (frame.type === "mode") {
      t.show(frame.mode);
    } else if (frame.type === "ack" && sent[frame.client_id]) {
      t.modeState.textContent = { note: "Note added.", whisper: "Whisper sent.", message: "Message sent." }[sent[frame.client_id].kind];
      delete sent[frame.client_id];
    } else if (frame.type === "error") {
      if (frame.client_id && sent[frame.client_id]) {
        t.socket.forget(frame.client_id);
        delete sent[frame.client_id];
      }
      if (frame.code === "not_monitoring") {
        // the floor's socket reconnected (which ends any mode): monitor again, silently
        t.socket.send({ type: "monitor", chat_id: t.id, purpose: "quality review" });
        t.show("monitor");
        t.modeState.textContent = "The floor reconnected, so you are monitoring silently again; choose the mode again.";
        return;
      }
      t.modeState.textContent = frame.message;
      t.radios[t.mode].checked = true; // a refused change leaves the mode as it was
    }
  });
})();
