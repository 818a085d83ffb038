/* Keyboard shortcuts for every console action, and the help overlay that lists them (`?`).
   Alt+letter works everywhere, in the composer too (matched by key position, `event.code`, so
   layouts and macOS's Option characters don't matter); `?` opens the help only outside text
   fields. The help is a modal <dialog>: focus stays inside, Escape closes it, focus goes back to
   where it was. Actions come from agent.js through window.clickchatAgent. */
(function () {
  "use strict";

  var C = window.ClickChat;
  var api = window.clickchatAgent;
  if (!api) return;

  /** The first shown, enabled control matching `selector` in the chat in front, or null (and why). */
  function inCurrent(selector, what) {
    var chat = api.current();
    var found = chat ? Array.prototype.filter.call(chat.panel.querySelectorAll(selector), function (node) {
      return !node.closest("[hidden]") && !node.disabled;
    }) : [];
    if (!found.length) api.say(chat ? "Nothing to " + what + " in this chat." : "Open a chat first.");
    return found[0] || null;
  }

  function focusIn(selector, what) {
    return function () {
      var target = inCurrent(selector, what);
      if (target) target.focus();
    };
  }

  function clickIn(selector, what) {
    return function () {
      var target = inCurrent(selector, what);
      if (target) target.click();
    };
  }

  // [code, keys shown, what it does, run]
  var SHORTCUTS = [
    ["KeyN", "Alt+N", "Accept the next chat in the queue", function () { api.acceptNext(); }],
    ["KeyA", "Alt+A", "Go to the queue's Accept buttons", function () { api.focusQueue(); }],
    ["Period", "Alt+.", "Next chat tab", function () { api.step(1); }],
    ["Comma", "Alt+,", "Previous chat tab", function () { api.step(-1); }],
    ["KeyR", "Alt+R", "Write a reply (focus the composer)", focusIn(".composer-text", "reply to")],
    ["KeyP", "Alt+P", "Choose a canned reply from the list", focusIn(".canned", "choose")],
    ["KeyT", "Alt+T", "Transfer: choose an available agent", function () {
      var pick = inCurrent(".transfer-to", "transfer");
      if (pick) {
        api.refreshTargets();
        pick.focus();
      }
    }],
    ["KeyB", "Alt+B", "Back to queue (moves to the button)", focusIn(".back-to-queue", "return")],
    ["KeyU", "Alt+U", "Escalate to a supervisor (moves to the button)", focusIn(".escalate", "escalate")],
    ["KeyC", "Alt+C", "Close the chat: choose the disposition", focusIn(".disposition", "close")],
    ["KeyW", "Alt+W", "Wrap-up: extend it once", clickIn(".wrapup-extend", "extend")],
    ["KeyX", "Alt+X", "Finish the wrap-up, or dismiss an ended chat", clickIn(".wrapup-done, .dismiss", "dismiss")],
    ["KeyS", "Alt+S", "Switch status: available / away", function () { api.toggleStatus(); }],
    ["KeyM", "Alt+M", "Mute or unmute the alert sound", function () {
      api.say(api.alerts.toggleMute() ? "Alert sound muted." : "Alert sound on.");
    }],
  ];
  var OTHER_KEYS = [
    ["?", "Show this list (outside text fields)"],
    ["Enter", "Send the reply (Shift+Enter: new line)"],
    ["Alt+1 … Alt+9", "Insert canned reply 1 to 9 (in the composer)"],
    ["/shortcut, then Tab", "Insert the canned reply with that shortcut"],
    ["Arrow keys", "Move between chat tabs (on the tab list)"],
    ["Escape", "Close this list"],
  ];

  function typingIn(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // --- the help overlay ---------------------------------------------------------------------------

  var el = C.el;
  var opener = null;
  var closeButton = el("button", { type: "button", className: "secondary", text: "Close" });
  var rows = SHORTCUTS.map(function (s) { return [s[1], s[2]]; }).concat(OTHER_KEYS);
  var dialog = el("dialog", { id: "shortcut-help", className: "card help", "aria-labelledby": "shortcut-help-title" }, [
    el("h2", { id: "shortcut-help-title", text: "Keyboard shortcuts" }),
    el("table", { className: "shortcuts" }, [
      el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: "Keys" }), el("th", { scope: "col", text: "Action" })])]),
      el("tbody", {}, rows.map(function (row) {
        return el("tr", {}, [el("td", {}, [el("kbd", { text: row[0] })]), el("td", { text: row[1] })]);
      })),
    ]),
    el("p", {}, [closeButton]),
  ]);
  document.body.appendChild(dialog);

  function openHelp() {
    if (dialog.open) return;
    opener = document.activeElement;
    dialog.showModal();
    closeButton.focus();
  }

  function closeHelp() {
    if (dialog.open) dialog.close();
  }

  closeButton.addEventListener("click", closeHelp);
  dialog.addEventListener("close", function () {
    var back = opener && document.contains(opener) ? opener : document.getElementById("shortcuts-button");
    if (back) back.focus();
    opener = null;
  });
  dialog.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") return;
    var focusable = dialog.querySelectorAll("button, [href], [tabindex]:not([tabindex='-1'])");
    var first = focusable[0];
    var last = focusable[focusable.length - 1];
    if (event.shiftKey ? document.activeElement === first : document.activeElement === last) {
      event.preventDefault(); // focus stays in the dialog
      (event.shiftKey ? last : first).focus();
    }
  });
  var button = document.getElementById("shortcuts-button");
  if (button) button.addEventListener("click", openHelp);

  // --- the keys ------------------------------------------------------------------------------------

  document.addEventListener("keydown", function (event) {
    if (dialog.open || event.defaultPrevented || event.ctrlKey || event.metaKey) return;
    if (event.key === "?" && !event.altKey && !typingIn(event.target)) {
      event.preventDefault();
      openHelp();
      return;
    }
    if (!event.altKey || event.shiftKey) return;
    for (var i = 0; i < SHORTCUTS.length; i++) {
      if (SHORTCUTS[i][0] === event.code) {
        event.preventDefault();
        SHORTCUTS[i][3]();
        return;
      }
    }
  });

  C.shortcuts = { open: openHelp, list: rows };
})();
