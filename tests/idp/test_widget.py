"""The Click-to-Chat widget on a portal page of another origin (127.0.0.2), in Chromium.

The provider signs in once at the portal's IdP; the portal page's button opens the chat in a
popup that signs in through the same IdP without a second login, receives the patient context by
postMessage, and chats with an agent end to end. A page of a foreign origin gets nothing.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, Problems
from tests.idp.conftest import IDP_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.multiprocess]
CONTEXT = {"member_id": "M-WIDGET-1", "first_name": "Ada", "last_name": "Lovelace", "dob": "1945-01-23"}


class PortalPage(BaseHTTPRequestHandler):
    """GET /portal?chat=<chat origin>: a portal page with the widget's one tag and the patient in context."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        query = parse_qs(urlparse(self.path).query)
        chat = html.escape(query.get("chat", [""])[0])
        body = f"""<!doctype html><html><head><title>Portal: member page</title></head><body>
<h1>Member M-WIDGET-1</h1><div id="chat-slot"></div>
<script>window.seen = []; addEventListener("message", function (e) {{ window.seen.push(e.data); }});</script>
<script src="{chat}/static/web/widget.js" data-idp="portal" data-target="#chat-slot"></script>
<script>ClickChat.setContext({{"member_id": "M-WIDGET-1", "first_name": "Ada", "last_name": "Lovelace",
  "dob": "1945-01-23", "location": "A001"}});</script>
</body></html>""".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def serve_portal(host: str) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer((host, 0), PortalPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}"


@pytest.fixture(scope="module")
def portals() -> Iterator[dict[str, str]]:
    allowed, allowed_url = serve_portal("127.0.0.2")
    foreign, foreign_url = serve_portal("127.0.0.3")
    yield {"allowed": allowed_url, "foreign": foreign_url}
    allowed.shutdown()
    foreign.shutdown()


@pytest.fixture(scope="module")
def server_env(portals) -> dict[str, str]:
    return {"PORTAL_ORIGINS": portals["allowed"]}


@pytest.fixture
def problems() -> Iterator[Problems]:
    found = Problems()
    yield found
    assert found.items == [], found.items


def test_portal_button_opens_a_signed_in_chat_with_the_patient_and_an_agent_answers(
    browser, oidc_server, idp, portals, sign_in, problems
):
    context = browser.new_context()
    portal = context.new_page()
    problems.watch(portal)
    portal.set_default_timeout(15_000)
    # signed in once, at the portal's IdP (as the portal's own login would)
    portal.goto(idp.url + "/accounts/login/?next=/o/.well-known/jwks.json")
    portal.fill("#idp-username", "paula")
    portal.fill("#idp-password", IDP_PASSWORD)
    portal.click("#idp-submit")
    portal.wait_for_url("**/jwks.json")

    portal.goto(f"{portals['allowed']}/portal?chat={oidc_server.url}")
    expect(portal.locator("#clickchat")).to_have_attribute("data-state", "open")
    expect(portal.locator("#clickchat-button")).to_have_text("Chat with us: open now")
    with context.expect_page() as opened:
        portal.click("#clickchat-button")
    chat = opened.value
    problems.watch(chat)
    chat.set_default_timeout(15_000)
    chat.wait_for_url(oidc_server.url + "/chat/portal/")  # through the IdP, no second login
    expect(chat.locator("body")).to_have_attribute("data-portal-context", "filled")
    for field, value in CONTEXT.items():
        expect(chat.locator(f"#f-{field}")).to_have_value(value)
    assert "M-WIDGET-1" not in chat.url and "Lovelace" not in chat.url
    chat.select_option("#f-transaction_type", "status_inquiry")
    chat.fill("#f-reference", "INT-55501")
    chat.fill("#f-question", "Is the authorization approved?")
    chat.click("#start-chat")
    panel = chat.locator(".chat-panel:not([hidden])")
    expect(panel.locator(".case-number")).to_have_text(re.compile(r"\d"))
    agent = sign_in("ana", via="staff")
    case_number = panel.locator(".case-number").inner_text()
    agent.get_by_role("button", name=f"Accept case {case_number}").click()
    agent_panel = agent.locator(f".agent-panel:has(.case-number:text-is('{case_number}'))")
    expect(agent_panel).to_be_visible()
    agent_panel.locator(".composer-text").fill("Hello Paula, looking at it now.")
    agent_panel.locator(".send").click()
    expect(panel.locator(".log")).to_contain_text("looking at it now")
    panel.locator(".composer-text").fill("Thank you!")
    panel.locator(".send").click()
    expect(agent_panel.locator(".log")).to_contain_text("Thank you!")
    # the portal page learned nothing but "ready": no case number, no message, no patient echo
    assert portal.evaluate("window.seen") == [{"type": "clickchat:ready"}]
    context.close()  # (on failure the browser context closes with the session browser)


def test_a_foreign_origin_gets_no_hours_and_cannot_hand_over_a_patient(browser, oidc_server, portals, sign_in):
    page = sign_in("paula")  # a signed-in provider, tricked onto a foreign page
    page.goto(f"{portals['foreign']}/portal?chat={oidc_server.url}")
    expect(page.locator("#clickchat")).to_have_attribute("data-state", "unavailable")  # CORS: not ours
    with page.context.expect_page() as opened:
        page.evaluate(f"window.victim = window.open('{oidc_server.url}/chat/portal/', 'x', 'popup')")
    chat = opened.value
    chat.wait_for_load_state()
    page.evaluate("window.victim.postMessage({type: 'clickchat:context', context: {member_id: 'EVIL-1'}}, '*')")
    chat.wait_for_timeout(500)
    expect(chat.locator("#f-member_id")).to_have_value("")
    assert chat.locator("body").get_attribute("data-portal-context") is None
    assert page.evaluate("window.seen") == []  # the chat window said nothing to a foreign opener


def test_the_button_says_closed_with_the_next_opening_and_the_phone(browser, portals):
    today = datetime.now(ZoneInfo("America/New_York")).date()
    closed = LiveServer(
        {
            "PORTAL_ORIGINS": portals["allowed"],
            "CHAT_HOURS": "Mon-Sun 08:00-18:00",
            "CHAT_CLOSED_DATES": ",".join(str(today + timedelta(days=d)) for d in range(3)),
            "SERVICE_CENTER_PHONE": "1-800-555-0123",
        }
    )
    try:
        closed.manage("migrate", "--noinput")
        closed.start()
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{portals['allowed']}/portal?chat={closed.url}")
        expect(page.locator("#clickchat")).to_have_attribute("data-state", "closed")
        expect(page.locator("#clickchat-button")).to_be_disabled()
        expect(page.locator("#clickchat-note")).to_contain_text("Chat opens")
        expect(page.locator("#clickchat-note")).to_contain_text("1-800-555-0123")
        context.close()
    finally:
        closed.stop()
