"""Reads the IdP's keys and the users' claims from files on every request, so tests can change them."""

import json

from django.conf import settings
from oauth2_provider.settings import oauth2_settings


class KeysAndClaims:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        oauth2_settings.OIDC_RSA_PRIVATE_KEY = (settings.IDP_DIR / "key.pem").read_text()
        inactive = settings.IDP_DIR / "inactive_keys.json"
        oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE = json.loads(inactive.read_text()) if inactive.exists() else []
        return self.get_response(request)


def claims_for(username: str) -> dict:
    path = settings.IDP_DIR / "claims.json"
    return json.loads(path.read_text()).get(username, {}) if path.exists() else {}
