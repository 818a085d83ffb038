/* Click-to-Chat widget for the provider portal: one tag on the portal page,
 *
 *   <script src="https://chat.example.com/static/web/widget.js" data-idp="portal" defer></script>
 *
 * shows a button that says whether chat is open (GET /api/hours/ on the chat service, allowed by
 * CORS for PORTAL_ORIGINS), with the next opening and the service-center phone when closed. A click
 * opens the chat in a popup: a first-party window of the chat service, so its session cookie works
 * where third-party cookies are blocked (an iframe would not be signed in). The portal may pass the
 * patient in context with ClickChat.setContext({member_id, first_name, last_name, dob, location});
 * it goes to the popup by postMessage to the chat origin only, after the popup says it is ready;
 * never in the URL. The popup sends nothing back but "ready". Options (data-*):
 *   data-idp       the chat service's name for the portal's IdP (sign in there without a stop)
 *   data-target    CSS selector of the element to put the button in (default: after this tag)
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var chatOrigin = new URL(script.src).origin;
  var idp = script.getAttribute("data-idp") || "";
  var context = null;
  var popup = null;

  var box = document.createElement("div");
  box.className = "clickchat";
  box.id = "clickchat";
  var button = document.createElement("button");
  button.type = "button";
  button.id = "clickchat-button";
  button.disabled = true;
  button.textContent = "Chat with us";
  var note = document.createElement("p");
  note.id = "clickchat-note";
  box.appendChild(button);
  box.appendChild(note);
  var target = script.getAttribute("data-target") && document.querySelector(script.getAttribute("data-target"));
  if (target) target.appendChild(box);
  else script.parentNode.insertBefore(box, script.nextSibling);

  function when(iso, zone) {
    return new Date(iso).toLocaleString("en-US", {
      timeZone: zone, weekday: "long", hour: "numeric", minute: "2-digit", timeZoneName: "short",
    });
  }

  function show(hours) {
    box.setAttribute("data-state", hours.open ? "open" : "closed");
    button.disabled = !hours.open;
    button.textContent = hours.open ? "Chat with us: open now" : "Chat is closed";
    note.textContent = hours.open
      ? ""
      : "Chat opens " + (hours.next_open ? when(hours.next_open, hours.timezone) : "later") +
        ". You can call the care and service center at " + (hours.phone || "") + ".";
  }

  function refresh() {
    fetch(chatOrigin + "/api/hours/", { credentials: "omit", mode: "cors" })
      .then(function (response) {
        if (!response.ok) throw new Error("hours " + response.status);
        return response.json();
      })
      .then(show)
      .catch(function () {
        box.setAttribute("data-state", "unavailable");
        button.disabled = true;
        button.textContent = "Chat is not available here";
      });
  }

  button.addEventListener("click", function () {
    var url = chatOrigin + "/chat/portal/" + (idp ? "?idp=" + encodeURIComponent(idp) : "");
    popup = window.open(url, "clickchat", "popup,width=560,height=780");
    if (popup) popup.focus();
  });

  window.addEventListener("message", function (event) {
    if (event.origin !== chatOrigin || !popup || event.source !== popup) return;
    if (event.data && event.data.type === "clickchat:ready" && context) {
      popup.postMessage({ type: "clickchat:context", context: context }, chatOrigin);
    }
  });

  window.ClickChat = {
    setContext: function (value) {
      context = {};
      ["member_id", "first_name", "last_name", "dob", "location"].forEach(function (key) {
        if (value && typeof value[key] === "string") context[key] = value[key];
      });
    },
  };

  refresh();
  setInterval(refresh, 60000);
})();
