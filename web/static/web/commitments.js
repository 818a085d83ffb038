/* Escalation commitments (docs/escalations.md), on both chat pages.
 *
 * Console: each chat panel gets a "Commitment to the provider" fieldset; escalating, or closing
 * with a disposition other than Resolved, needs it filled in (resolution time in Eastern time, the
 * escalation contact's name and direct line or extension) and sends it with the frame.
 * Provider page: a "What happens next" box in the chat shows each commitment, the ended box
 * repeats them, and My chats has a Commitments column.
 * Every value goes in as text. Needs socket.js (window.ClickChat) first.
 */
(function () {
  "use strict";

  var C = window.ClickChat;
  var el = C.el;
  var ZONE = "America/New_York";

  /** "Resolve by ..., contact ..." as a provider reads it. */
  function sentence(c) {
    return "To be resolved by " + c.due_text + ". Your escalation contact: " + c.contact.name + ", " + c.contact.line + ".";
  }

  function statusText(c) {
    return c.status === "done" ? "Done" + (c.done_by ? " (marked by " + c.done_by + ")" : "") : "Open";
  }

  // --- provider page -------------------------------------------------------------------------------

  /** The chat panel's box of commitments (made on first use, under the status line). */
  function providerBox(panel) {
    var box = panel.querySelector(".commitments");
    if (box) return box;
    var id = "commitments-" + (panel.getAttribute("data-chat-id") || "");
    box = el("section", { className: "commitments", "aria-labelledby": id + "-title" }, [
      el("h3", { id: id + "-title", text: "What happens next" }), el("ul", { className: "commitment-list" }),
    ]);
    var after = panel.querySelector(".status-line");
    after.parentNode.insertBefore(box, after.nextSibling);
    return box;
  }

  function commitmentItem(c) {
    return el("li", { "data-commitment-id": c.id, "data-status": c.status }, [
      el("span", { className: "commitment-text", text: sentence(c) }), " ",
      el("span", { className: "commitment-status", text: "Status: " + statusText(c) + "." }),
    ]);
  }

  /** A commitment seen on the provider's socket (its event, live or replayed): shown, or updated. */
  function show(panel, c) {
    if (!c) return;
    var list = providerBox(panel).querySelector(".commitment-list");
    var item = commitmentItem(c);
    var old = list.querySelector("li[data-commitment-id='" + c.id + "']");
    if (old) list.replaceChild(item, old);
    else list.appendChild(item);
  }

  /** The ended box: the agent's name and every commitment again (the guide: say them at the end). */
  function ended(panel, box, frame) {
    if (!frame) return;
    if (frame.agent) box.appendChild(el("p", { className: "ended-agent" }, ["Your agent was ", el("strong", { text: frame.agent }), "."]));
    var list = frame.commitments || [];
    list.forEach(function (c) { show(panel, c); });
    if (!list.length) return;
    box.appendChild(el("p", { className: "ended-commitments-title", text: "What was committed:" }));
    box.appendChild(el("ul", { className: "ended-commitments" }, list.map(function (c) {
      return el("li", { text: sentence(c) });
    })));
  }

  /** My chats' Commitments cell. */
  function cell(list) {
    if (!list || !list.length) return el("span", { text: "—" });
    return el("ul", { className: "cell-list" }, list.map(function (c) {
      return el("li", { text: "By " + c.due_text + " · " + c.contact.name + ", " + c.contact.line + " · " + statusText(c) });
    }));
  }

  // --- agent console ---------------------------------------------------------------------------------

  /** "YYYY-MM-DDTHH:MM" now in Eastern time (the datetime-local field's `min`). */
  function easternNow() {
    var parts = {};
    new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date()).forEach(function (p) {
      parts[p.type] = p.value;
    });
    return parts.year + "-" + parts.month + "-" + parts.day + "T" + parts.hour + ":" + parts.minute;
  }

  function field(id, label, input) {
    input.id = id;
    return el("div", { className: "field" }, [el("label", { for: id, text: label }), input]);
  }

  /** Add the commitment fieldset to an agent's chat panel (chat: agent.js's AgentChat). */
  function attachConsole(chat) {
    var id = chat.id;
    var error = el("p", { className: "field-error commitment-error", id: "cm-error-" + id });
    var hint = el("p", { className: "hint", id: "cm-hint-" + id,
      text: "Needed to escalate or to close without \u201cResolved\u201d. The provider sees it at once and at the end." });
    var due = el("input", { type: "datetime-local", className: "cm-due", min: easternNow(),
      "aria-describedby": "cm-hint-" + id + " cm-error-" + id });
    var name = el("input", { className: "cm-name", maxlength: "100", autocomplete: "off", "aria-describedby": "cm-error-" + id });
    var line = el("input", { className: "cm-line", maxlength: "40", autocomplete: "off", inputmode: "tel",
      placeholder: "800-555-0142 ext. 12", "aria-describedby": "cm-error-" + id });
    var set = el("fieldset", { className: "commitment" }, [
      el("legend", { text: "Commitment to the provider" }), hint,
      el("div", { className: "commitment-fields" }, [
        field("cm-due-" + id, "Resolve by (Eastern time)", due),
        field("cm-name-" + id, "Escalation contact", name),
        field("cm-line-" + id, "Direct line or extension", line),
      ]),
      error,
    ]);
    var actions = chat.q(".actions");
    actions.insertBefore(set, actions.querySelector(".close-form"));
    chat.commitment = { set: set, due: due, name: name, line: line, error: error };
  }

  function problem(chat, text, input) {
    var parts = chat.commitment;
    parts.error.textContent = text;
    [parts.due, parts.name, parts.line].forEach(function (i) { i.removeAttribute("aria-invalid"); });
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  }

  /**
   * What to add to an `escalate` (action "escalate") or `close` (action = the disposition) frame:
   * {} when no commitment is needed, {commitment} when it is filled in, null when something is
   * missing (the fieldset then says what, and focus goes there).
   */
  function forAction(chat, action) {
    var parts = chat.commitment;
    if (!parts) return {};
    parts.error.textContent = "";
    if (action === "resolved") return {};
    var values = { due: parts.due.value.trim(), contact_name: parts.name.value.trim(), contact_line: parts.line.value.trim() };
    var what = action === "escalate" ? "To escalate" : "To close without \u201cResolved\u201d";
    var missing = null;
    if (!values.due) missing = [what + ", give the date and time it will be resolved by (Eastern time).", parts.due];
    else if (values.due < easternNow()) missing = ["The resolution time must be in the future.", parts.due];
    else if (!values.contact_name) missing = [what + ", name the escalation contact.", parts.name];
    else if (!values.contact_line) missing = [what + ", give the contact's direct line or extension.", parts.line];
    if (missing) {
      problem(chat, missing[0], missing[1]);
      return null;
    }
    return { commitment: values };
  }

  var FIELD_WORDS = [[/contact.?s name|escalation contact/i, "name"], [/line|extension/i, "line"], [/time|date/i, "due"]];

  /** An `error` frame about this chat: a commitment refusal is shown in the fieldset. True if it was one. */
  function refused(chat, frame) {
    if (!chat.commitment || (frame.code !== "invalid_commitment" && frame.code !== "commitment_not_allowed")) return false;
    var input = null;
    FIELD_WORDS.some(function (pair) {
      if (pair[0].test(frame.message)) input = chat.commitment[pair[1]];
      return !!input;
    });
    problem(chat, frame.message, input);
    return true;
  }

  C.commitments = { show: show, ended: ended, cell: cell, attachConsole: attachConsole, forAction: forAction, refused: refused };
})();
