/* Click-to-Chat agent console: the patient history panel (docs/record.md).
 *
 * When a chat opens, its panel shows this member's earlier chats at the same agency, newest first
 * (GET /api/chats/<id>/history/: case number, date, type, disposition, follow-ups, agent), and
 * whether another chat about the member is open right now. "Open" shows one read-only
 * (GET /api/chats/<id>/history/<case>/); the server audits the list and every open.
 * Needs socket.js; agent.js announces each chat panel with `clickchat:chat`.
 */
(function () {
  "use strict";

  var C = window.ClickChat;
  var el = C.el;
  if (!document.getElementById("agent")) return;

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (data) { return { status: r.status, data: data }; });
    });
  }

  function day(iso) {
    return iso ? new Date(iso).toLocaleDateString() : "—";
  }

  function followUps(list) {
    if (!list || !list.length) return "";
    return list.map(function (f) {
      return "follow-up " + (f.done ? "done" : "due " + (f.due_at ? new Date(f.due_at).toLocaleString() : "—")) +
        (f.contact ? " (" + f.contact + ")" : "");
    }).join("; ");
  }

  function summaryLine(row) {
    var parts = [row.case_number, day(row.requested_at), row.transaction_type_label,
      row.open ? "open now (" + row.status + ")" : row.disposition_label || "no disposition", row.agent || "no agent"];
    var extra = followUps(row.follow_ups);
    return parts.join(" · ") + (extra ? " · " + extra : "");
  }

  function Panel(chat) {
    this.chat = chat;
    this.id = chat.id;
    this.headingId = "history-" + this.id;
    this.list = el("ul", { className: "history-list", "aria-labelledby": this.headingId });
    this.status = el("p", { className: "muted history-status", text: "Loading this patient's earlier chats…" });
    this.openNow = el("p", { className: "open-now", hidden: true });
    this.view = el("div", { className: "history-view", hidden: true });
    this.count = el("span", { className: "muted" });
    this.box = el("details", { className: "history", open: true }, [
      el("summary", { id: this.headingId }, ["Patient history ", this.count]),
      this.openNow, this.status, this.list, this.view,
    ]);
    var context = chat.panel.querySelector(".context");
    chat.panel.insertBefore(this.box, context ? context.nextSibling : null);
    this.load();
  }

  Panel.prototype.load = function () {
    var self = this;
    getJSON("/api/chats/" + this.id + "/history/").then(function (reply) {
      if (reply.status !== 200) {
        self.status.textContent = "The history could not be shown" + (reply.data && reply.data.error ? ": " + reply.data.error.message : ".");
        return;
      }
      self.render(reply.data);
    }).catch(function () { self.status.textContent = "The history could not be loaded."; });
  };

  Panel.prototype.render = function (data) {
    var self = this;
    C.clear(this.list);
    this.count.textContent = "(" + data.chats.length + ")";
    this.status.textContent = data.chats.length ? "" : "No earlier chats about this member at " + data.agency + ".";
    this.status.hidden = !data.chats.length ? false : true;
    if (data.open_now.length) {
      this.openNow.hidden = false;
      this.openNow.textContent = "Another chat about this member is open now: " + data.open_now.map(function (row) {
        return row.case_number + " (" + row.status + (row.agent ? ", " + row.agent : "") + ")";
      }).join(", ") + ".";
    }
    data.chats.forEach(function (row) {
      var button = el("button", { type: "button", className: "small secondary", text: "Open",
        "aria-label": "Open case " + row.case_number + " read-only" });
      button.addEventListener("click", function () { self.open(row, button); });
      self.list.appendChild(el("li", { "data-case": row.case_number }, [el("span", { text: summaryLine(row) }), button]));
    });
  };

  Panel.prototype.open = function (row, button) {
    var self = this;
    getJSON("/api/chats/" + this.id + "/history/" + encodeURIComponent(row.case_number) + "/").then(function (reply) {
      C.clear(self.view);
      self.view.hidden = false;
      if (reply.status !== 200) {
        self.view.appendChild(el("p", { role: "alert", text: reply.data && reply.data.error ? reply.data.error.message : "That chat could not be opened." }));
        return;
      }
      var t = reply.data;
      var heading = el("h3", { tabindex: "-1", text: "Case " + t.case_number + " (read-only)" });
      var entries = el("ol", { className: "entries" });
      (t.entries || []).forEach(function (e) {
        var internal = e.internal ? (e.kind === "whisper" ? "Whisper · " : e.kind === "note" ? "Internal note · " : "Internal · ") : "";
        entries.appendChild(el("li", { className: e.internal ? "internal " + e.kind : e.kind === "message" ? "msg " + (e.sender_role === "provider" ? "theirs" : "mine") : "system" }, [
          el("span", { className: "meta" }, [el("span", { className: "who", text: internal + (e.sender || (e.sender_role === "system" ? "" : e.sender_role) || "") }), " ",
            el("time", { datetime: e.at, text: new Date(e.at).toLocaleString() })]),
          el("span", { className: "body", text: e.text }),
        ]));
      });
      var close = el("button", { type: "button", className: "secondary", text: "Close case " + t.case_number });
      close.addEventListener("click", function () {
        self.view.hidden = true;
        C.clear(self.view);
        button.focus(); // back where the agent was
      });
      self.view.appendChild(heading);
      self.view.appendChild(el("p", { className: "muted", text: [t.transaction_type_label || t.transaction_type, t.disposition_label ? "disposition " + t.disposition_label : "", day(t.opened_at)].filter(Boolean).join(" · ") }));
      self.view.appendChild(el("div", { className: "log", role: "region", tabindex: "0", "aria-label": "Case " + t.case_number + " transcript (read-only)" }, [entries]));
      self.view.appendChild(close);
      heading.focus(); // the agent asked for it: show them where it is
    }).catch(function () { self.view.hidden = false; self.view.textContent = "The server could not be reached."; });
  };

  document.addEventListener("clickchat:chat", function (event) {
    new Panel(event.detail.chat);
  });
})();
