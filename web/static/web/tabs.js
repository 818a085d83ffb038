/* Click-to-Chat: a tab list with a roving tabindex (WAI-ARIA Authoring Practices, "Tabs").
 *
 * The selected tab is the only one in the Tab order; Left/Right move between tabs (wrapping),
 * Home/End go to the first/last, and moving selects (automatic activation). Each tab names its
 * panel with aria-controls; the panel of the selected tab is shown, the others hidden.
 * Needs socket.js (window.ClickChat) first.
 */
(function () {
  "use strict";

  var KEYS = { ArrowRight: 1, ArrowLeft: -1 };

  /** options: onSelect(tab) after a tab became the selected one. */
  function Tabs(tablist, options) {
    var self = this;
    this.tablist = tablist;
    this.onSelect = (options && options.onSelect) || function () {};
    tablist.addEventListener("click", function (event) {
      var tab = event.target.closest("[role=tab]");
      if (tab && tablist.contains(tab)) self.select(tab);
    });
    tablist.addEventListener("keydown", function (event) { self.onKey(event); });
  }

  Tabs.prototype.all = function () {
    return Array.prototype.slice.call(this.tablist.querySelectorAll("[role=tab]"));
  };

  Tabs.prototype.selected = function () {
    return this.tablist.querySelector("[role=tab][aria-selected=true]");
  };

  Tabs.prototype.select = function (tab) {
    this.all().forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      var panel = document.getElementById(t.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
    if (tab) this.onSelect(tab);
  };

  Tabs.prototype.onKey = function (event) {
    var list = this.all();
    var i = list.indexOf(document.activeElement);
    if (i < 0 || event.altKey || event.ctrlKey || event.metaKey) return;
    var next = null;
    if (KEYS[event.key]) next = list[(i + KEYS[event.key] + list.length) % list.length];
    else if (event.key === "Home") next = list[0];
    else if (event.key === "End") next = list[list.length - 1];
    if (!next) return;
    event.preventDefault();
    this.select(next);
    next.focus();
  };

  window.ClickChat.Tabs = Tabs;
})();
