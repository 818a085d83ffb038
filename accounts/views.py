"""Login and logout pages (Django's auth views, our templates and rules)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden

from accounts.sessions import close_user_sockets


def session_expired(request: HttpRequest) -> bool:
    """The browser sent a session cookie we no longer know: it ended while idle (or was logged out)."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES and not request.user.is_authenticated


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["session_expired"] = self.request.method == "GET" and (
            self.request.GET.get("reason") == "expired" or session_expired(self.request)
        )
        context["idle_minutes"] = settings.SESSION_IDLE_SECONDS // 60
        context["local_login"] = settings.LOCAL_LOGIN
        context["oidc_providers"] = settings.OIDC_PROVIDERS
        return context

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.LOCAL_LOGIN:  # only the IdP signs people in (LOCAL_LOGIN off)
            return HttpResponseForbidden("Sign in through your portal's sign-in service.")
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    """Log out, and close every open socket of the user (4401) in every process."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user_id = request.user.pk if request.user.is_authenticated else None
        response = super().post(request, *args, **kwargs)
        if user_id is not None:
            close_user_sockets(user_id)
        return response
