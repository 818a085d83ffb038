/* Alerts that reach the agent: a sound (mutable, remembered), the unread count in the page title,
   and a desktop notification while the page is in the background. agent.js calls `alert()` for a
   new offer, a provider reply, an idle warning about to end a chat and a supervisor whisper, and
   `count()` whenever a tab's badge changes. Notifications never carry PHI: no patient names and no
   message text, only what happened and the case number. */
(function () {
  "use strict";

  var C = window.ClickChat;
  var MUTE_KEY = "clickchat.mute";
  var ASKED_KEY = "clickchat.notify-asked";
  var TEXTS = {
    offer: function (caseNumber) { return "New chat offered: case " + caseNumber; },
    reply: function (caseNumber) { return "New reply in chat " + caseNumber; },
    idle: function (caseNumber) { return "Chat " + caseNumber + " ends soon: the provider is idle"; },
    whisper: function (caseNumber) { return "Supervisor whisper in chat " + caseNumber; },
  };
  var PITCH = { offer: 880, reply: 660, idle: 440, whisper: 990 };

  function storage(key, value) {
    try {
      if (value === undefined) return window.localStorage.getItem(key);
      window.localStorage.setItem(key, value);
    } catch (err) {
      /* private mode: nothing remembered */
    }
    return null;
  }

  /**
   * options: mute (checkbox), notifyButton (button that asks permission), notifyState (text),
   * onOpen(chatId) when a notification is clicked.
   */
  function Alerts(options) {
    var self = this;
    this.options = options;
    this.baseTitle = document.title;
    this.audio = null;
    this.mute = options.mute;
    this.mute.checked = storage(MUTE_KEY) === "1";
    this.mute.addEventListener("change", function () { storage(MUTE_KEY, self.mute.checked ? "1" : "0"); });
    if (options.notifyButton) {
      options.notifyButton.addEventListener("click", function () { self.askPermission(); });
      this.showPermission();
    }
  }

  Alerts.prototype.toggleMute = function () {
    this.mute.checked = !this.mute.checked;
    this.mute.dispatchEvent(new Event("change"));
    return this.mute.checked;
  };

  /** The page title carries the number of unread things: "(3) Agent console". */
  Alerts.prototype.count = function (n) {
    document.title = n > 0 ? "(" + n + ") " + this.baseTitle : this.baseTitle;
  };

  Alerts.prototype.inBackground = function () {
    return document.hidden || !document.hasFocus();
  };

  /** kind: offer | reply | idle | whisper. */
  Alerts.prototype.alert = function (kind, caseNumber, chatId) {
    this.beep(PITCH[kind] || 880);
    if (this.inBackground()) this.notify(TEXTS[kind](caseNumber), chatId);
  };

  Alerts.prototype.beep = function (pitch) {
    if (this.mute.checked) return;
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      this.audio = this.audio || new Ctx(); // one context for the page: browsers limit how many
      var ctx = this.audio;
      if (ctx.state === "suspended" && ctx.resume) ctx.resume(); // allowed once the agent has clicked anything
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.frequency.value = pitch;
      gain.gain.value = 0.08;
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.2);
    } catch (err) {
      /* no audio: the badge and the title still tell */
    }
  };

  Alerts.prototype.notify = function (text, chatId) {
    var self = this;
    if (!("Notification" in window) || window.Notification.permission !== "granted") return;
    try {
      var note = new window.Notification("Agent console", { body: text, tag: chatId || text });
      note.onclick = function () {
        window.focus();
        if (self.options.onOpen && chatId) self.options.onOpen(chatId);
        note.close();
      };
    } catch (err) {
      /* some browsers only notify from a service worker: the title count still tells */
    }
  };

  /** Asked once, and only from the agent's click: never by itself at load. */
  Alerts.prototype.askPermission = function () {
    var self = this;
    if (!("Notification" in window)) return;
    storage(ASKED_KEY, "1");
    var answer = window.Notification.requestPermission(function () { self.showPermission(); });
    if (answer && answer.then) answer.then(function () { self.showPermission(); });
  };

  Alerts.prototype.showPermission = function () {
    var button = this.options.notifyButton;
    var state = this.options.notifyState;
    var supported = "Notification" in window;
    var permission = supported ? window.Notification.permission : "unsupported";
    button.hidden = !supported || permission !== "default" || storage(ASKED_KEY) === "1";
    var words = {
      granted: "Desktop notifications are on while this page is in the background.",
      denied: "Desktop notifications are blocked in this browser's site settings.",
      unsupported: "",
      default: button.hidden ? "Desktop notifications are off." : "",
    };
    if (state) state.textContent = words[permission] || "";
  };

  C.Alerts = Alerts;
})();
