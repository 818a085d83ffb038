from django.contrib import admin
from django.urls import include, path

from accounts.oidc_views import OidcLogoutView
from accounts.views import LoginView
from chatserver.health import healthz
from queueing.agents_api import available_agents
from queueing.chats_api import chat_check, chats_collection
from queueing.views import hours
from web.portal_views import portal_cors

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", OidcLogoutView.as_view(), name="logout"),
    path("oidc/", include("accounts.oidc_urls")),
    path("api/hours/", portal_cors(hours), name="api-hours"),
    path("api/chats/", chats_collection, name="api-chats"),
    path("api/chats/<uuid:chat_id>/check/", chat_check, name="api-chat-check"),
    path("api/agents/available/", available_agents, name="api-agents-available"),
    path("api/", include("transcripts.urls")),
    path("admin/", admin.site.urls),
    path("", include("web.urls")),
]
