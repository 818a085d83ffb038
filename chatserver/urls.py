from django.contrib import admin
from django.urls import include, path

from accounts.views import LoginView, LogoutView
from chatserver.health import healthz
from queueing.views import create_chat, hours

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("api/hours/", hours, name="api-hours"),
    path("api/chats/", create_chat, name="api-chats"),
    path("api/", include("transcripts.urls")),
    path("admin/", admin.site.urls),
    path("", include("web.urls")),
]
