from django.urls import path

from accounts import oidc_views

urlpatterns = [
    path("<str:name>/login/", oidc_views.oidc_login, name="oidc-login"),
    path("<str:name>/callback/", oidc_views.oidc_callback, name="oidc-callback"),
    path("<str:name>/backchannel-logout/", oidc_views.backchannel_logout, name="oidc-backchannel-logout"),
]
