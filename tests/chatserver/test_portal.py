"""What the portal's widget gets from us: CORS on /api/hours/ for PORTAL_ORIGINS only, and the popup's page."""

import pytest
from django.test import Client

from chatserver.oidc_settings import read_provider
from tests.conftest import logged_in_client

pytestmark = pytest.mark.django_db
PORTAL = "https://portal.example.com"


@pytest.fixture(autouse=True)
def portal_origins(settings):
    settings.PORTAL_ORIGINS = [PORTAL]
    settings.OIDC_PROVIDERS = [
        read_provider("portal", {"OIDC_PORTAL_ISSUER": "https://idp.example.com", "OIDC_PORTAL_CLIENT_ID": "c"})
    ]


def test_hours_may_be_read_by_an_allowed_portal_origin_only():
    allowed = Client().get("/api/hours/", headers={"Origin": PORTAL})
    assert allowed["Access-Control-Allow-Origin"] == PORTAL
    assert "Origin" in allowed["Vary"]
    assert "Access-Control-Allow-Credentials" not in allowed
    foreign = Client().get("/api/hours/", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in foreign


def test_no_other_endpoint_answers_cors():
    assert "Access-Control-Allow-Origin" not in Client().get("/healthz", headers={"Origin": PORTAL})


def test_the_popup_signs_in_through_the_named_portal_idp_keeping_its_opener():
    response = Client().get("/chat/portal/", {"idp": "portal"})
    assert response.status_code == 302
    assert response["Location"] == "/oidc/portal/login/?next=%2Fchat%2Fportal%2F"
    assert response["Cross-Origin-Opener-Policy"] == "unsafe-none"
    assert Client().get("/chat/portal/", {"idp": "elsewhere"})["Location"].startswith("/login/")


def test_the_popup_page_carries_the_allowed_origins_and_the_receiver(provider):
    page = logged_in_client(provider).get("/chat/portal/")
    assert page.status_code == 200
    assert page["Cross-Origin-Opener-Policy"] == "unsafe-none"
    assert b'id="portal-origins"' in page.content and PORTAL.encode() in page.content
    assert b"portal_context.js" in page.content
    plain = logged_in_client(provider).get("/chat/")
    assert plain["Cross-Origin-Opener-Policy"] == "same-origin"  # the ordinary page stays isolated
    assert b"portal_context.js" not in plain.content
