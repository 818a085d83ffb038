/* Click-to-Chat: one chat's log, as both the provider page and the agent console show it.
 *
 * A ChatLog owns the list of entries of one chat and everything that keeps it right:
 *  - entries are shown once each, in seq order, wherever they arrive from (live, replay, sync);
 *  - a gap in seqs (a relay lost between two entries) is filled with `sync`;
 *  - a `head` frame (the server's stored head is past what was shown: the last relay was lost) is
 *    answered with `sync` too, so a lost last message heals without any further message;
 *  - messages the user sends are pending ("Sending…", or queued while offline) until stored, then
 *    acked ("Sent"), then confirmed when the stored entry arrives; a refused one is marked failed;
 *  - when masking changed the stored text (`ack.text`, `ack.masked`), the sender's copy is replaced
 *    by the stored text and a short notice says what was hidden and why;
 *  - the other side's typing indicator, cleared after a while or when their message arrives.
 * The page passes in how its socket sends (the two sockets word `sync` and `message` differently).
 * Needs socket.js (window.ClickChat) first.
 */
(function () {
  "use strict";

  var C = window.ClickChat;
  var el = C.el;
  var TYPING_EVERY_MS = 3000; // send `typing` at most this often while the user types
  var TYPING_SHOWN_MS = 5000; // the other side's indicator goes away after this without news
  var MASKED_NAMES = { ssn: "a Social Security number", card: "a card number" };

  /** One message item; `mine` puts it on the reader's side. */
  function messageItem(who, mine, at, text) {
    return el("li", { className: "msg " + (mine ? "mine" : "theirs") }, [
      el("span", { className: "meta" }, [el("span", { className: "who", text: who }), " ",
        el("time", { datetime: at || "", text: C.clock(at) })]),
      el("span", { className: "body", text: text }),
    ]);
  }

  /** One event item (requested, joined, warned, transferred, ended…) or a page note (no `at`). */
  function eventItem(frame) {
    return el("li", { className: "system" }, [
      frame.at ? el("time", { datetime: frame.at, text: C.clock(frame.at) }) : null, frame.at ? " " : null,
      el("span", { className: "body", text: frame.text }),
    ]);
  }

  /** A note, a whisper or an internal event (staff screens only: the provider is sent a `skip`). */
  function internalItem(frame) {
    var who = frame.sender || "A supervisor";
    var label = frame.kind === "whisper" ? "Whisper from " + who + " (the provider does not see this)"
      : frame.kind === "note" ? "Internal note · " + who : "Internal · " + who;
    return el("li", { className: "internal " + (frame.kind || "") }, [
      el("span", { className: "meta" }, [el("span", { className: "who", text: label }), " ",
        el("time", { datetime: frame.at || "", text: C.clock(frame.at) })]),
      el("span", { className: "body", text: frame.text }),
    ]);
  }

  /** "A Social Security number ending 6789 was hidden for safety; the agent sees only its last 4 digits." */
  function maskedNotice(masked, reader) {
    var parts = masked.map(function (m) {
      return (MASKED_NAMES[m.kind] || "a number") + (m.last4 ? " ending " + m.last4 : "");
    });
    var list = parts.length > 1 ? parts.slice(0, -1).join(", ") + " and " + parts[parts.length - 1] : parts[0];
    var one = parts.length === 1;
    return list.charAt(0).toUpperCase() + list.slice(1) + (one ? " was" : " were") + " hidden for safety; " +
      reader + " sees only " + (one ? "its" : "their") + " last 4 digits.";
  }

  /**
   * options: panel (the chat's panel: its .entries list, .log scroll box and .typing line),
   * typingText, mine(role) -> bool, me (the reader's display name: their stored messages read "You"), reader ("the agent"), socket() -> its ResilientSocket, how that
   * socket words frames: syncFrame(after), messageFrame(client_id, text), typingFrame(); and hooks
   * onEntry(frame, live), onAppend(item), and for files (attachments.js): renderEntry(frame) -> item
   * or null, onRepeat(frame) for an entry shown before (a replay: its state now), replayFrom() -> seq|null.
   */
  function ChatLog(options) {
    this.o = options;
    this.list = options.panel.querySelector(".entries");
    this.scroller = options.panel.querySelector(".log");
    this.typingLine = options.panel.querySelector(".typing");
    this.tracker = new C.SeqTracker();
    this.pending = {}; // client_id -> list item not yet confirmed by its stored entry
    this.syncAsked = -1; // the `after` of the last gap sync, so one gap asks once
    this.lastTyping = 0;
    this.typingTimer = null;
  }

  /** Where a replay should start: every seq up to here is shown. */
  ChatLog.prototype.after = function () {
    var from = this.o.replayFrom ? this.o.replayFrom() : null;
    return from === null || from === undefined ? this.tracker.contiguous : Math.min(from, this.tracker.contiguous);
  };

  ChatLog.prototype.insert = function (item, seq) {
    if (seq === null || seq === undefined) {
      this.list.appendChild(item);
    } else {
      item.setAttribute("data-seq", String(seq));
      var before = null;
      var items = this.list.querySelectorAll("li[data-seq]");
      for (var i = 0; i < items.length; i++) {
        if (Number(items[i].getAttribute("data-seq")) > seq) {
          before = items[i];
          break;
        }
      }
      this.list.insertBefore(item, before || this.list.querySelector("li.pending"));
    }
    this.scroller.scrollTop = this.scroller.scrollHeight;
    if (this.o.onAppend) this.o.onAppend(item);
  };

  /** A page note that is not part of the transcript. */
  ChatLog.prototype.note = function (text) {
    this.insert(eventItem({ text: text }), null);
  };

  /** Count a seq as shown; ask `sync` once per gap. False when it was shown already. */
  ChatLog.prototype.track = function (seq) {
    if (!this.tracker.add(seq)) return false;
    if (this.tracker.hasGap() && this.syncAsked !== this.tracker.contiguous) {
      this.syncAsked = this.tracker.contiguous;
      this.o.socket().send(this.o.syncFrame(this.tracker.contiguous));
    }
    return true;
  };

  /** A `skip`: a seq this reader may not see (an internal note): counted, so the log has no gap. */
  ChatLog.prototype.skip = function (seq) {
    this.track(seq);
  };

  /** A stored entry (`message`, `event`, or on staff screens `internal`), live or replayed. */
  ChatLog.prototype.entry = function (frame, live) {
    if (frame.type === "skip") return this.skip(frame.seq);
    if (!this.track(frame.seq)) { // already shown (replay after a reconnect, sync)
      if (this.o.onRepeat) this.o.onRepeat(frame);
      return;
    }
    var mine = frame.client_id && this.pending[frame.client_id];
    if (mine) {
      delete this.pending[frame.client_id];
      this.insert(this.confirm(mine, frame), frame.seq);
    } else if (frame.type === "internal") {
      this.insert(internalItem(frame), frame.seq);
    } else if (frame.type === "message") {
      var ours = this.o.mine(frame.sender_role);
      var who = ours && this.o.me && frame.sender === this.o.me ? "You" : frame.sender || ""; // as send() labels it
      this.insert(messageItem(who, ours, frame.at, frame.text), frame.seq);
      if (!this.o.mine(frame.sender_role)) this.stopTyping(); // their message is what they were typing
    } else {
      var custom = this.o.renderEntry ? this.o.renderEntry(frame) : null;
      this.insert(custom || eventItem(frame), frame.seq);
    }
    if (this.o.onEntry) this.o.onEntry(frame, !!live);
  };

  /** The server's stored head: ask for what is missing (the relay of the last entries was lost). */
  ChatLog.prototype.head = function (seq) {
    if (typeof seq !== "number" || seq <= this.tracker.contiguous) return;
    this.syncAsked = this.tracker.contiguous;
    this.o.socket().send(this.o.syncFrame(this.tracker.contiguous));
  };

  /** Send what the user typed; it shows at once as pending. */
  ChatLog.prototype.send = function (text) {
    var clientId = C.uuid();
    var open = this.o.socket().isOpen();
    var item = messageItem("You", true, null, text);
    item.classList.add("pending");
    if (!open) item.classList.add("queued");
    item.appendChild(el("span", { className: "state", text: open ? "Sending…" : "Queued: sends when reconnected" }));
    item.setAttribute("data-client-id", clientId);
    this.pending[clientId] = item;
    this.list.appendChild(item);
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.o.socket().sendReliable(this.o.messageFrame(clientId, text));
    return clientId;
  };

  /** The server stored a message of ours (`ack`): say so, and show what was stored if masking changed it. */
  ChatLog.prototype.acked = function (frame) {
    var item = this.pending[frame.client_id];
    if (!item) item = this.list.querySelector("li[data-client-id='" + frame.client_id + "']");
    if (!item) return;
    item.classList.remove("queued");
    var state = item.querySelector(".state");
    if (state) state.textContent = "Sent";
    if (typeof frame.text === "string" && Array.isArray(frame.masked) && frame.masked.length) {
      item.querySelector(".body").textContent = frame.text;
      item.classList.add("masked");
      if (!item.querySelector(".masked-note")) {
        item.appendChild(el("span", { className: "masked-note", text: maskedNotice(frame.masked, this.o.reader) }));
      }
    }
  };

  /** A pending message lost its pending marks and takes the stored time (and text). */
  ChatLog.prototype.confirm = function (item, frame) {
    item.remove();
    item.classList.remove("pending", "queued");
    var time = item.querySelector("time");
    time.textContent = C.clock(frame.at);
    time.setAttribute("datetime", frame.at || "");
    if (typeof frame.text === "string") item.querySelector(".body").textContent = frame.text;
    var state = item.querySelector(".state");
    if (state) state.remove();
    return item;
  };

  /** An `error` frame: true when it was about one of our pending messages (now marked failed). */
  ChatLog.prototype.refused = function (frame) {
    var item = frame.client_id && this.pending[frame.client_id];
    if (!item) return false;
    if (frame.code !== "rate_limited") this.o.socket().forget(frame.client_id); // rate-limited ones are resent
    item.classList.add("failed");
    item.querySelector(".state").textContent = "Not sent: " + frame.message;
    return true;
  };

  /** The user typed: tell the other side, at most every TYPING_EVERY_MS. True when sent. */
  ChatLog.prototype.typed = function () {
    if (Date.now() - this.lastTyping <= TYPING_EVERY_MS) return false;
    if (!this.o.socket().send(this.o.typingFrame())) return false;
    this.lastTyping = Date.now();
    return true;
  };

  /** The other side is typing. */
  ChatLog.prototype.typing = function () {
    var self = this;
    this.typingLine.textContent = this.o.typingText;
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(function () { self.stopTyping(); }, TYPING_SHOWN_MS);
  };

  ChatLog.prototype.stopTyping = function () {
    window.clearTimeout(this.typingTimer);
    this.typingLine.textContent = "";
  };

  /** A chat's panel cloned from its <template>, named after the chat (its tab is "tab-<id>"). */
  function chatPanel(templateId, id) {
    var panel = document.getElementById(templateId).content.firstElementChild.cloneNode(true);
    panel.id = "panel-" + id;
    panel.setAttribute("aria-labelledby", "tab-" + id);
    panel.setAttribute("data-chat-id", id);
    panel.hidden = true;
    return panel;
  }

  C.ChatLog = ChatLog;
  C.chatPanel = chatPanel;
  C.maskedNotice = maskedNotice;
})();
