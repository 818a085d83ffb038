/* Click-to-Chat shared client: a resilient socket, a seq tracker and small DOM helpers. No dependencies.
 * (The chat log both pages show is chatlog.js; their tab lists are tabs.js.)
 *
 * ResilientSocket keeps one WebSocket alive:
 *  - heartbeats: a `ping` every HEARTBEAT_MS; no frame at all for DEAD_MS means the link is dead;
 *  - reconnects with full-jitter exponential backoff (and at once when the browser comes online);
 *  - reliable frames (messages) stay queued until the server acks their client_id, and are sent
 *    again, in order, on every reconnect (the server de-duplicates by client_id);
 *  - the page supplies the URL on every attempt, so it can resume with ?after=<seq>.
 * Close codes in FINAL_CODES end the socket for good (not logged in, not allowed, chat ended).
 */
(function () {
  "use strict";

  var HEARTBEAT_MS = 15000;
  var DEAD_MS = 40000;
  var BACKOFF_BASE_MS = 500;
  var BACKOFF_CAP_MS = 15000;
  var SESSION_RETRY_MS = 300;
  var FINAL_CODES = { 4401: "not_logged_in", 4403: "forbidden", 4404: "not_found", 4408: "idle_timeout", 4410: "ended" };

  function ResilientSocket(options) {
    this.url = options.url; // function () -> path such as "/ws/chat/<id>/?after=3"
    this.onFrame = options.onFrame || function () {};
    this.onStatus = options.onStatus || function () {};
    this.onFinal = options.onFinal || function () {};
    this.onOpen = options.onOpen || function () {};
    this.ws = null;
    this.attempt = 0;
    this.stopped = false;
    this.unacked = []; // reliable frames in send order: {client_id, frame}
    this.timer = null;
    this.beat = null;
    this.lastHeard = 0;
    var self = this;
    this.onOnline = function () {
      if (!self.ws && !self.stopped) self.reconnectNow();
    };
    window.addEventListener("online", this.onOnline);
  }

  ResilientSocket.prototype.fullUrl = function () {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + this.url();
  };

  ResilientSocket.prototype.connect = function () {
    if (this.stopped || this.ws) return;
    var self = this;
    var ws;
    this.onStatus("connecting");
    try {
      ws = new WebSocket(this.fullUrl());
    } catch (err) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = function () {
      self.lastHeard = Date.now();
      self.onStatus("open");
      self.onOpen();
      self.flush();
      self.startHeartbeat();
    };
    ws.onmessage = function (event) {
      self.lastHeard = Date.now();
      self.attempt = 0; // the server spoke: the link is good again
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      if (!frame || typeof frame.type !== "string") return;
      self.sessionRetried = false; // the session is good: a later 4401 may be retried once again
      if (frame.type === "pong") return;
      if (frame.type === "ack") self.acked(frame.client_id);
      self.onFrame(frame);
    };
    ws.onclose = function (event) {
      if (self.ws !== ws) return;
      self.ws = null;
      self.stopHeartbeat();
      if (event.code === 4401 && !self.stopped && !self.sessionRetried) {
        // Once: a login in another tab may have renewed the session cookie (a credential or
        // location change there ends this socket's session). No frame on the retry: final.
        self.sessionRetried = true;
        self.onStatus("reconnecting");
        self.timer = window.setTimeout(function () {
          self.timer = null;
          self.connect();
        }, SESSION_RETRY_MS);
        return;
      }
      if (FINAL_CODES[event.code] || self.stopped) {
        self.stopped = true;
        self.onStatus("closed");
        self.onFinal(event.code, FINAL_CODES[event.code] || "stopped");
        return;
      }
      self.onStatus("reconnecting");
      self.scheduleReconnect();
    };
  };

  ResilientSocket.prototype.scheduleReconnect = function () {
    if (this.stopped || this.timer) return;
    var ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * Math.pow(2, this.attempt));
    var delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.attempt += 1;
    var self = this;
    this.timer = window.setTimeout(function () {
      self.timer = null;
      self.connect();
    }, delay);
  };

  ResilientSocket.prototype.reconnectNow = function () {
    if (this.timer) {
      window.clearTimeout(this.timer);
      this.timer = null;
    }
    this.connect();
  };

  ResilientSocket.prototype.startHeartbeat = function () {
    var self = this;
    this.stopHeartbeat();
    this.beat = window.setInterval(function () {
      if (!self.ws) return;
      if (Date.now() - self.lastHeard > DEAD_MS) {
        self.drop(); // half-open link: nothing heard, not even a pong
        return;
      }
      self.send({ type: "ping" });
    }, HEARTBEAT_MS);
  };

  ResilientSocket.prototype.stopHeartbeat = function () {
    if (this.beat) window.clearInterval(this.beat);
    this.beat = null;
  };

  /** Close the current link and let the backoff reconnect it (what a network drop does). */
  ResilientSocket.prototype.drop = function () {
    var ws = this.ws;
    if (!ws) return;
    this.ws = null;
    this.stopHeartbeat();
    try {
      ws.close();
    } catch (err) {
      /* already closing */
    }
    this.onStatus("reconnecting");
    this.scheduleReconnect();
  };

  ResilientSocket.prototype.isOpen = function () {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  };

  /** Send now or never: typing, status and other frames that are stale after a reconnect. */
  ResilientSocket.prototype.send = function (frame) {
    if (!this.isOpen()) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  };

  /** Send until acked: kept and resent on every reconnect, in order, with the same client_id. */
  ResilientSocket.prototype.sendReliable = function (frame) {
    this.unacked.push({ client_id: frame.client_id, frame: frame });
    this.send(frame);
  };

  ResilientSocket.prototype.flush = function () {
    for (var i = 0; i < this.unacked.length; i++) this.send(this.unacked[i].frame);
  };

  ResilientSocket.prototype.acked = function (clientId) {
    this.unacked = this.unacked.filter(function (item) {
      return item.client_id !== clientId;
    });
  };

  /** Give up a reliable frame the server refused (too long, bad frame). */
  ResilientSocket.prototype.forget = function (clientId) {
    this.acked(clientId);
  };

  ResilientSocket.prototype.stop = function () {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    if (this.timer) window.clearTimeout(this.timer);
    this.timer = null;
    this.stopHeartbeat();
    if (this.ws) {
      var ws = this.ws;
      this.ws = null;
      try {
        ws.close(1000);
      } catch (err) {
        /* already closed */
      }
    }
  };

  /** Seqs shown for one chat: drop duplicates, spot gaps, and say where to resume. */
  function SeqTracker() {
    this.seen = {};
    this.contiguous = 0; // every seq up to here has been shown
    this.highest = 0;
  }

  /** True when this seq is new (show it); false for one already shown. */
  SeqTracker.prototype.add = function (seq) {
    if (typeof seq !== "number" || this.seen[seq] || seq <= this.contiguous) return false;
    this.seen[seq] = true;
    if (seq > this.highest) this.highest = seq;
    while (this.seen[this.contiguous + 1]) this.contiguous += 1;
    return true;
  };

  SeqTracker.prototype.hasGap = function () {
    return this.highest > this.contiguous;
  };

  // --- DOM helpers: user text only ever goes in through textContent --------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "text") node.textContent = String(value);
        else if (key === "className") node.className = value;
        else if (key === "hidden") node.hidden = !!value;
        else if (key.indexOf("on") === 0 && typeof value === "function") node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function uuid() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    });
    return hex.slice(0, 4).join("") + "-" + hex.slice(4, 6).join("") + "-" + hex.slice(6, 8).join("") + "-" +
      hex.slice(8, 10).join("") + "-" + hex.slice(10).join("");
  }

  function clock(iso) {
    var date = iso ? new Date(iso) : new Date();
    return date.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds || 0));
    var m = Math.floor(seconds / 60);
    var s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function jsonData(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  window.ClickChat = {
    ResilientSocket: ResilientSocket,
    SeqTracker: SeqTracker,
    FINAL_CODES: FINAL_CODES,
    el: el,
    clear: clear,
    uuid: uuid,
    clock: clock,
    duration: duration,
    jsonData: jsonData,
    csrfToken: csrfToken,
    sockets: [], // every live socket of the page (tests and debugging reach them here)
  };
})();
