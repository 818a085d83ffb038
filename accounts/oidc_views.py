"""Sign-in through an IdP, RP-initiated logout and the IdP's back-channel logout endpoint.

Thin views: Authlib speaks the protocol, `oidc.sign_in` and `oidc_logout` decide; every decision
is written to `SignInAudit` (codes only: no names, tokens or claims).
"""

from __future__ import annotations

import logging

import requests
from authlib.integrations.base_client.errors import OAuthError
from django.conf import settings
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from joserfc.errors import JoseError

from accounts.oidc import SignInRefused, client_for, providers, remember_session, sign_in
from accounts.oidc_config import OidcProvider
from accounts.oidc_logout import LogoutTokenError, end_sessions, verify_logout_token
from accounts.oidc_models import OidcSession, SignInAudit, SignInEvent
from accounts.views import LogoutView

log = logging.getLogger(__name__)
NEXT_KEY = "oidc_next"
PROVIDER_KEY = "oidc_provider"
ID_TOKEN_KEY = "oidc_id_token"  # noqa: S105 (a session key name, not a secret)
IDP_ERRORS = (OAuthError, JoseError, requests.RequestException, KeyError, ValueError)
# Pages in the sign-in flow may be opened by the portal's widget in a popup: they must not cut
# the popup from its opener (Django's default COOP `same-origin` would), see docs/portal.md.
OPENER_POLICY = "unsafe-none"


def provider_or_404(name: str) -> OidcProvider:
    provider = providers().get(name)
    if provider is None:
        raise Http404("No such sign-in service.")
    return provider


def audit(request: HttpRequest | None, provider: str, event: str, **fields) -> None:
    SignInAudit.objects.create(
        at=timezone.now(),
        provider=provider,
        event=event,
        ip=request.META.get("REMOTE_ADDR") if request else None,
        **fields,
    )


def keep_opener(response: HttpResponse) -> HttpResponse:
    response["Cross-Origin-Opener-Policy"] = OPENER_POLICY
    return response


@require_GET
@never_cache
def oidc_login(request: HttpRequest, name: str) -> HttpResponse:
    """Send the browser to the IdP (authorization code, PKCE S256, state and nonce kept in the session)."""
    provider = provider_or_404(name)
    target = request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())
    request.session[NEXT_KEY] = target if safe and target else "/"
    redirect_uri = request.build_absolute_uri(reverse("oidc-callback", args=[provider.name]))
    try:
        return keep_opener(client_for(provider.name).authorize_redirect(request, redirect_uri))
    except IDP_ERRORS:
        log.warning("oidc %s: the IdP's discovery document could not be read", provider.name)
        return refused_page(request, provider, "idp_unavailable", "The sign-in service is not answering.", 503)


@require_GET
@never_cache
def oidc_callback(request: HttpRequest, name: str) -> HttpResponse:
    """The IdP sends the browser back with a code: exchange it, check the ID token, apply the claims, log in."""
    provider = provider_or_404(name)
    client = client_for(provider.name)
    try:
        token = client.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})  # the ID token's claims, validated by Authlib
        if not claims:
            raise KeyError("id_token")
        if provider.use_userinfo and client.load_server_metadata().get("userinfo_endpoint"):
            extra = client.userinfo(token=token)
            if extra.get("sub") == claims["sub"]:
                claims.update({k: v for k, v in extra.items() if k not in {"iss", "aud", "sub", "nonce"}})
    except IDP_ERRORS as exc:
        log.warning("oidc %s: sign-in did not complete (%s)", provider.name, type(exc).__name__)
        audit(request, provider.name, SignInEvent.LOGIN_REFUSED, reason="idp_error")
        message = "The sign-in did not complete. Open chat again from the portal."
        return refused_page(request, provider, "idp_error", message, 400)
    try:
        signed = sign_in(provider, claims)
    except SignInRefused as exc:
        audit(request, provider.name, SignInEvent.LOGIN_REFUSED, reason=exc.code, subject=str(claims.get("sub"))[:255])
        return refused_page(request, provider, exc.code, exc.message, 403)
    target = request.session.pop(NEXT_KEY, "/")
    login(request, signed.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[PROVIDER_KEY] = provider.name
    request.session[ID_TOKEN_KEY] = token.get("id_token", "")
    request.session.save()
    remember_session(provider, signed.user, request.session.session_key or "", claims, now=timezone.now())
    audit(request, provider.name, SignInEvent.LOGIN, user=signed.user, subject=str(claims["sub"])[:255])
    return keep_opener(HttpResponseRedirect(target))


def refused_page(request: HttpRequest, provider: OidcProvider, code: str, message: str, status: int) -> HttpResponse:
    context = {
        "message": message,
        "code": code,
        "staff": provider.is_staff_idp,
        "phone": settings.SERVICE_CENTER_PHONE,
    }
    return keep_opener(render(request, "accounts/oidc_refused.html", context, status=status))


class OidcLogoutView(LogoutView):
    """Log out here (sockets close, 4401), then at the IdP too when the session came from one."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        name, id_token = request.session.get(PROVIDER_KEY), request.session.get(ID_TOKEN_KEY, "")
        user_id = request.user.pk if request.user.is_authenticated else None
        if request.session.session_key:
            OidcSession.objects.filter(session_key=request.session.session_key).delete()
        response = super().post(request, *args, **kwargs)
        provider = providers().get(name or "")
        if provider is None:
            return response
        audit(request, provider.name, SignInEvent.LOGOUT, user_id=user_id)
        try:
            end = client_for(provider.name).create_logout_url(
                post_logout_redirect_uri=request.build_absolute_uri(reverse("login")),
                id_token_hint=id_token or None,
                client_id=provider.client_id,
            )
        except (RuntimeError, *IDP_ERRORS):  # the IdP has no end_session_endpoint: logged out here only
            return response
        return HttpResponseRedirect(end["url"])


@csrf_exempt  # the IdP posts server to server; the signed logout token is the proof
@require_POST
@never_cache
def backchannel_logout(request: HttpRequest, name: str) -> HttpResponse:
    """OIDC Back-Channel Logout: a valid `logout_token` ends the sessions it names and closes their sockets."""
    provider = provider_or_404(name)
    client = client_for(provider.name)
    now = timezone.now()
    try:
        metadata = client.load_server_metadata()
        claims = verify_logout_token(
            provider,
            request.POST.get("logout_token", ""),
            now=now,
            keys=lambda force: client.fetch_jwk_set(force=force),
            allowed_algs=metadata.get("id_token_signing_alg_values_supported"),
        )
        ended = end_sessions(provider, claims, now=now)
    except LogoutTokenError as exc:
        log.warning("oidc %s: back-channel logout token refused (%s)", provider.name, exc.code)
        audit(request, provider.name, SignInEvent.BACKCHANNEL_REFUSED, reason=exc.code)
        return no_store(JsonResponse({"error": "invalid_request", "error_description": exc.code}, status=400))
    except (requests.RequestException, ValueError):
        log.warning("oidc %s: back-channel logout: the IdP's keys could not be read", provider.name)
        audit(request, provider.name, SignInEvent.BACKCHANNEL_REFUSED, reason="jwks_unavailable")
        return no_store(JsonResponse({"error": "temporarily_unavailable"}, status=503))
    audit(
        request,
        provider.name,
        SignInEvent.BACKCHANNEL_LOGOUT,
        subject=str(claims.get("sub") or "")[:255],
        user_id=min(ended.user_ids) if len(ended.user_ids) == 1 else None,
        sessions_ended=ended.sessions,
    )
    return no_store(HttpResponse(status=200))


def no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response
