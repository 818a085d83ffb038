/* Click-to-Chat agent console: internal notes on a chat (docs/record.md).
 *
 * Each chat panel gets a small "Internal note" form under its actions. A note is sent as
 * `{"type": "note", chat_id, client_id, text}` on the console's socket (resent until acked, stored
 * once per client_id); the stored note comes back as an `internal` frame and shows in the chat's
 * log marked as internal. The provider never receives it. On an ended chat (a wrap-up note) the
 * console has left the chat's relay, so the ack alone puts the note in the log.
 * Needs socket.js and chatlog.js; agent.js announces each chat panel with `clickchat:chat`.
 */
(function () {
  "use strict";

  var C = window.ClickChat;
  var el = C.el;
  var root = document.getElementById("agent");
  if (!root) return;
  var me = root.getAttribute("data-me") || "";
  var sent = {}; // client_id -> {chat, text, state}

  function attach(chat, socket) {
    var id = chat.id;
    var textId = "note-" + id;
    var text = el("textarea", { id: textId, className: "note-text", rows: "2", maxlength: root.getAttribute("data-max-chars") });
    var state = el("p", { className: "note-state", role: "status" });
    var form = el("form", { className: "note-form", "aria-label": "Internal note" }, [
      el("label", { for: textId, text: "Internal note (staff only: the provider never sees it)" }),
      text,
      el("button", { type: "submit", className: "secondary add-note", text: "Add note" }),
      state,
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = text.value.trim();
      if (!body) {
        state.textContent = "Write the note first.";
        return;
      }
      var clientId = C.uuid();
      sent[clientId] = { chat: chat, text: body, state: state };
      socket.sendReliable({ type: "note", chat_id: id, client_id: clientId, text: body });
      state.textContent = socket.isOpen() ? "Saving the note…" : "Queued: the note is saved when reconnected.";
      text.value = "";
    });
    var actions = chat.panel.querySelector(".actions");
    chat.panel.insertBefore(form, actions ? actions.nextSibling : null);
  }

  document.addEventListener("clickchat:chat", function (event) {
    attach(event.detail.chat, event.detail.socket);
  });

  document.addEventListener("clickchat:frame", function (event) {
    var frame = event.detail;
    var mine = frame.client_id && sent[frame.client_id];
    if (!mine) return;
    if (frame.type === "ack") {
      delete sent[frame.client_id];
      mine.state.textContent = "Note added to the case record.";
      mine.chat.log.entry({ type: "internal", kind: "note", seq: frame.seq, sender: me, text: frame.text || mine.text,
        at: new Date().toISOString(), client_id: frame.client_id }, false);
    } else if (frame.type === "error") {
      delete sent[frame.client_id];
      window.clickchatAgent.socket.forget(frame.client_id);
      mine.state.textContent = "Note not added: " + frame.message;
    }
  });
})();
