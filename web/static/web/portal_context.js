/* The chat window opened by the portal's widget (/chat/portal/): receive the patient context.
 *
 * The portal page (our opener, another origin) sends {type: "clickchat:context", context} by
 * postMessage once we say "clickchat:ready". We accept it only from window.opener and only when its
 * origin is exactly one of PORTAL_ORIGINS (json in #portal-origins); we tell nothing back but
 * "ready", so the portal learns no more than it passed in. The context fills the pre-chat form.
 */
(function () {
  "use strict";

  var data = document.getElementById("portal-origins");
  var origins = data ? JSON.parse(data.textContent) : [];
  if (!window.opener || !origins.length) return;

  var FIELDS = { member_id: 40, first_name: 100, last_name: 100, dob: 10, location: 20 };

  function clean(context) {
    var out = {};
    if (!context || typeof context !== "object") return out;
    Object.keys(FIELDS).forEach(function (key) {
      var value = context[key];
      if (typeof value === "string" && value.length <= FIELDS[key]) out[key] = value.trim();
    });
    if (out.dob && !/^\d{4}-\d\d-\d\d$/.test(out.dob)) delete out.dob;
    return out;
  }

  function fill(id, value) {
    var field = document.getElementById(id);
    if (!field || value === undefined) return;
    if (field.tagName === "SELECT" && !field.querySelector('option[value="' + CSS.escape(value) + '"]')) return;
    field.value = value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.opener || origins.indexOf(event.origin) < 0) return;
    if (!event.data || event.data.type !== "clickchat:context") return;
    var context = clean(event.data.context);
    fill("f-member_id", context.member_id);
    fill("f-first_name", context.first_name);
    fill("f-last_name", context.last_name);
    fill("f-dob", context.dob);
    fill("f-location", context.location);
    document.body.setAttribute("data-portal-context", "filled");
  });

  // Only the allowed origins can receive this: postMessage drops it for any other opener.
  origins.forEach(function (origin) {
    window.opener.postMessage({ type: "clickchat:ready" }, origin);
  });
})();
