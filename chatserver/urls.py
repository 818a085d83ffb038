from django.contrib import admin
from django.urls import include, path

from accounts.oidc_views import OidcLogoutView
from accounts.views import LoginView
from chatserver.health import healthz
from queueing.views import create_chat, hours
from web.portal_views import portal_cors

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", OidcLogoutView.as_view(), name="logout"),
    path("oidc/", include("accounts.oidc_urls")),
    path("api/hours/", portal_cors(hours), name="api-hours"),
    path("api/chats/", create_chat, name="api-chats"),
    path("api/", include("transcripts.urls")),
    path("admin/", admin.site.urls),
    path("", include("web.urls")),
]
