/* Raise hand (agent console): ask a supervisor for help on one chat, with a reason and an optional
 * note; see when a supervisor took it and who; lower it. docs/floor.md.
 * Hooks in agent.js: ClickChat.raiseHand.attach(chatId, panel, send) for each chat panel, and
 * ClickChat.raiseHand.onFrame(frame) for every frame (it reads agent.state, hand and error).
 */
(function () {
  "use strict";

  var C = window.ClickChat;
  var el = C.el;
  var REASONS = C.jsonData("hand-reasons") || []; // [[code, label], ...] from the server's choices
  var MAX_NOTE = 200;
  var HAND_ERRORS = ["note_required", "too_long", "hand_already_raised", "no_raised_hand"];
  var boxes = {}; // chat_id -> HandBox
  var lastAsked = null; // the chat whose hand frame was sent last (errors name no chat)

  function HandBox(chatId, panel, send) {
    var self = this;
    this.chatId = chatId;
    this.send = send;
    var n = chatId.slice(0, 8);
    this.stateLine = el("p", { className: "hand-state", role: "status", "aria-live": "polite" });
    this.raiseButton = el("button", { type: "button", className: "secondary raise-hand", "aria-expanded": "false",
      "aria-controls": "hand-form-" + n, text: "Raise hand", onclick: function () { self.openForm(); } });
    this.lowerButton = el("button", { type: "button", className: "secondary lower-hand", text: "Lower hand", hidden: true,
      onclick: function () { lastAsked = chatId; send({ type: "hand", action: "lower", chat_id: chatId }); } });
    this.reason = el("select", { id: "hand-reason-" + n, className: "hand-reason" },
      REASONS.map(function (r) { return el("option", { value: r[0], text: r[1] }); }));
    this.note = el("input", { id: "hand-note-" + n, className: "hand-note-input", maxlength: String(MAX_NOTE), autocomplete: "off",
      "aria-describedby": "hand-hint-" + n + " hand-error-" + n });
    this.error = el("p", { id: "hand-error-" + n, className: "field-error" });
    this.form = el("form", { id: "hand-form-" + n, className: "hand-form", hidden: true, "aria-label": "Raise hand" }, [
      el("div", { className: "field" }, [el("label", { for: this.reason.id, text: "Why do you need a supervisor?" }), this.reason]),
      el("div", { className: "field" }, [el("label", { for: this.note.id, text: "Note for the supervisor (optional)" }), this.note,
        el("p", { id: "hand-hint-" + n, className: "hint", text: "No patient details: the floor shows the case number." })]),
      el("button", { type: "submit", className: "send-hand", text: "Send to the floor" }),
      el("button", { type: "button", className: "secondary", text: "Cancel", onclick: function () { self.closeForm(true); } }),
      this.error,
    ]);
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submit();
    });
    this.form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") self.closeForm(true);
    });
    this.box = el("div", { className: "hand-box", "data-state": "down" }, [this.stateLine, this.raiseButton, this.lowerButton, this.form]);
    var actions = panel.querySelector(".actions") || panel;
    actions.appendChild(this.box);
  }

  HandBox.prototype.openForm = function () {
    this.form.hidden = false;
    this.raiseButton.setAttribute("aria-expanded", "true");
    this.reason.focus();
  };

  HandBox.prototype.closeForm = function (refocus) {
    this.form.hidden = true;
    this.raiseButton.setAttribute("aria-expanded", "false");
    this.error.textContent = "";
    this.note.removeAttribute("aria-invalid");
    if (refocus) this.raiseButton.focus();
  };

  HandBox.prototype.submit = function () {
    var note = this.note.value.trim();
    if (this.reason.value === "other" && !note) return this.fail("Say in the note what you need help with.");
    if (note.length > MAX_NOTE) return this.fail("The note can be at most " + MAX_NOTE + " characters.");
    lastAsked = this.chatId;
    this.send({ type: "hand", action: "raise", chat_id: this.chatId, reason: this.reason.value, note: note });
  };

  HandBox.prototype.fail = function (text) {
    if (this.form.hidden) this.stateLine.textContent = text;
    this.error.textContent = text;
    this.note.setAttribute("aria-invalid", "true");
    if (!this.form.hidden) this.note.focus(); // never pull focus into a closed form
  };

  /** A `hand` frame: raised, taken (by whom) or lowered. Focus stays on a control that is still there. */
  HandBox.prototype.show = function (frame) {
    var hadFocus = this.box.contains(document.activeElement);
    var up = frame.state === "raised" || frame.state === "taken";
    this.box.setAttribute("data-state", up ? frame.state : "down");
    if (frame.state === "raised") {
      this.stateLine.textContent = "Hand raised (" + frame.reason_text + "): waiting for a supervisor.";
    } else if (frame.state === "taken") {
      this.stateLine.textContent = frame.taken_by + " took your raised hand at " + C.clock(frame.taken_at) + ".";
    } else {
      this.stateLine.textContent = "Hand lowered.";
    }
    if (up) this.closeForm(false);
    this.raiseButton.hidden = up;
    this.lowerButton.hidden = !up;
    if (hadFocus) (up ? this.lowerButton : this.raiseButton).focus();
  };

  function attach(chatId, panel, send) {
    if (!boxes[chatId]) boxes[chatId] = new HandBox(chatId, panel, send);
  }

  function onFrame(frame) {
    if (frame.type === "agent.state") {
      (frame.hands || []).forEach(function (h) { if (boxes[h.chat_id]) boxes[h.chat_id].show(h); });
    } else if (frame.type === "assigned" && frame.hand && boxes[frame.hand.chat_id]) {
      boxes[frame.hand.chat_id].show(frame.hand); // transferred with its hand up
    } else if (frame.type === "hand" && boxes[frame.chat_id]) {
      boxes[frame.chat_id].show(frame);
    } else if (frame.type === "error" && HAND_ERRORS.indexOf(frame.code) >= 0 && boxes[lastAsked]) {
      boxes[lastAsked].fail(frame.message);
    }
  }

  C.raiseHand = { attach: attach, onFrame: onFrame };
})();
