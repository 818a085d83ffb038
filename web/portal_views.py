"""What the portal's Click-to-Chat widget needs from us: CORS on `/api/hours/`, and the popup's chat page.

The widget (`web/static/web/widget.js`) opens `/chat/portal/` in a popup, a first-party window of
this service, so the session cookie is sent even where third-party cookies are blocked; the portal
page then hands the patient context to it by `postMessage` (`web/static/web/portal_context.js`),
both sides checking the exact origin. See docs/portal.md.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from web.views import provider_chat

View = Callable[..., HttpResponse]


def portal_cors(view: View) -> View:
    """Let the allowed portal origins (PORTAL_ORIGINS) read this endpoint's answer; no credentials."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        origin = request.headers.get("Origin", "")
        if origin in settings.PORTAL_ORIGINS:
            response["Access-Control-Allow-Origin"] = origin
        patch_vary_headers(response, ["Origin"])
        return response

    return wrapped


def portal_chat(request: HttpRequest) -> HttpResponse:
    """The provider page as the widget's popup: signs in through the portal's IdP without a stop at /login/."""
    response: HttpResponse
    if not request.user.is_authenticated:
        idp = request.GET.get("idp", "")
        portal_idps = {p.name for p in settings.OIDC_PROVIDERS if not p.is_staff_idp}
        here = request.path
        if idp in portal_idps:
            response = redirect(reverse("oidc-login", args=[idp]) + "?" + urlencode({"next": here}))
        else:
            response = redirect(settings.LOGIN_URL + "?" + urlencode({"next": here}))
    else:
        response = provider_chat(request, portal_origins=settings.PORTAL_ORIGINS)
    # Opened by the portal (another origin): Django's COOP `same-origin`, on this page or on a
    # redirect on the way to it, would cut this window from its opener, and the portal could not
    # hand over the patient context.
    response["Cross-Origin-Opener-Policy"] = "unsafe-none"
    return response
