"""Single sign-on through a real OpenID provider process, in Chromium: login, claims, refusals, logout."""

from __future__ import annotations

import copy
import re
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import start_chat
from tests.idp.conftest import CLAIMS

pytestmark = [pytest.mark.browser, pytest.mark.multiprocess]


def server_db(oidc_server, sql: str, *args) -> list[tuple]:
    with oidc_server.database.connect() as db:
        return db.execute(sql, args).fetchall()


def post_logout_token(oidc_server, token: str, via: str = "portal") -> int:
    body = urllib.parse.urlencode({"logout_token": token}).encode()
    url = f"{oidc_server.url}/oidc/{via}/backchannel-logout/"
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - loopback test server
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback test server
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_provider_signs_in_once_at_the_idp_and_gets_chat_with_mapped_claims(sign_in, oidc_server):
    """Authorization code + PKCE through the IdP's login page; name, agency, source and Z locations applied."""
    page = sign_in("paula")
    expect(page).to_have_url(oidc_server.url + "/chat/")
    expect(page.locator(".who")).to_contain_text("Paula Portal · Provider")
    options = page.locator("#f-location option")
    expect(options).to_have_count(3)
    expect(page.locator("#f-location option[value=Z001]")).to_contain_text("inactive")
    expect(page.locator("#f-location option[value=A001]")).not_to_contain_text("inactive")
    rows = server_db(
        oidc_server,
        "SELECT u.role, u.login_source, a.name, u.password FROM accounts_user u JOIN accounts_agency a"
        " ON a.id = u.agency_id WHERE u.first_name = 'Paula'",
    )
    assert len(rows) == 1
    role, source, agency, password = rows[0]
    assert (role, source, agency) == ("provider", "portal", "Sunrise Home Health")
    assert password.startswith("!")  # no usable password: only the IdP signs her in
    assert server_db(oidc_server, "SELECT event FROM accounts_signinaudit WHERE event = 'login'")


def test_staff_groups_become_agent_and_supervisor(sign_in):
    agent = sign_in("ana", via="staff")
    expect(agent).to_have_url(re.compile(r"/agent/$"))
    expect(agent.locator(".who")).to_contain_text("Ana Agent · Agent")
    supervisor = sign_in("sam", via="staff")
    expect(supervisor).to_have_url(re.compile(r"/supervisor/$"))


@pytest.mark.parametrize(
    ("username", "via", "reason"),
    [("rita", "portal", "no_locations"), ("nora", "portal", "no_login_source"), ("paula", "staff", "not_chat_staff")],
)
def test_users_who_may_not_chat_are_told_to_contact_the_portal_administrator(
    sign_in, oidc_server, username, via, reason
):
    page = sign_in(username, via=via)
    refused = page.locator("#sign-in-refused")
    expect(refused).to_have_attribute("data-reason", reason)
    if via == "portal":
        expect(refused).to_contain_text("contact the portal administrator")
    expect(page.locator(".who")).to_have_count(0)  # not logged in
    assert server_db(
        oidc_server, "SELECT 1 FROM accounts_signinaudit WHERE event = 'login_refused' AND reason = %s", reason
    )


def test_backchannel_logout_closes_the_open_chat_socket(sign_in, oidc_server, idp):
    """A logout token signed by the IdP's key ends the session: the chat's socket closes (4401) at once."""
    page = sign_in("paula")
    chat = start_chat(page, "M-BCL-1")
    expect(chat.locator(".status-line")).to_contain_text("queue")
    subject = server_db(oidc_server, "SELECT subject FROM accounts_oidcsession")[0][0]
    assert post_logout_token(oidc_server, idp.logout_token(sub=subject)) == 200
    expect(chat.locator(".status-line")).to_contain_text("Your session ended", timeout=5_000)
    page.goto("/chat/")
    expect(page).to_have_url(re.compile(r"/login/"))
    assert server_db(oidc_server, "SELECT sessions_ended FROM accounts_signinaudit WHERE event = 'backchannel_logout'")


def test_location_removed_at_the_idp_is_gone_at_next_login_and_its_chat_closes(sign_in, oidc_server, idp):
    first = sign_in("paula")
    chat = start_chat(first, "M-LOC-1", location="A002")
    expect(chat.locator(".status-line")).to_contain_text("queue")
    claims = copy.deepcopy(CLAIMS)
    claims["paula"]["locations"] = [loc for loc in claims["paula"]["locations"] if loc["code"] != "A002"]
    idp.set_claims(claims)
    try:
        second = sign_in("paula")
        expect(second.locator("#f-location option")).to_have_count(2)
        expect(second.locator("#f-location option[value=A002]")).to_have_count(0)
        # The location change at this login ends her other sessions (issue 19), so the first
        # device's socket for the lost location's chat closes and its page says to log in again.
        expect(chat).to_contain_text("Your session ended", timeout=5_000)
    finally:
        idp.set_claims(CLAIMS)


def test_rp_initiated_logout_ends_the_session_here_and_at_the_idp(sign_in, oidc_server, idp):
    page = sign_in("paula")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(lambda url: url.startswith(oidc_server.url + "/login/"))
    page.goto("/chat/")
    page.click("#oidc-portal")
    page.wait_for_url(idp.url + "/accounts/login/**")  # asked to sign in again at the IdP


def test_sign_in_goes_on_after_the_idp_rotates_its_signing_key(sign_in, oidc_server, idp):
    """The ID token names a kid the server has not cached: it refetches the JWKS and signs her in."""
    sign_in("paula")  # the server now holds the current JWKS
    idp.rotate_key(keep_old=False)
    page = sign_in("paula")
    expect(page).to_have_url(oidc_server.url + "/chat/")
