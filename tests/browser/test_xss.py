"""Hostile text as messages, names, references and questions is shown as text on every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import start_chat

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.__xss=1;alert(1)</script>",
    '<img src=x onerror="window.__xss=1;alert(2)">',
    '"><svg onload="window.__xss=1;alert(3)">',
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '<a href="javascript:alert(4)">click me</a>',
    "</textarea><script>alert(5)</script>",
    "{{7*7}} ${alert(6)} {% csrf_token %}",
    "<details open ontoggle=alert(7)>",
]
INJECTED = (  # the pages' own chart and history panel excepted; any handler attribute still counts
    "img, iframe, svg:not(.chart), object, embed, details:not(.history), a[href^='javascript'],"
    " [onerror], [onload], [ontoggle]"
)


def assert_inert(page) -> None:
    assert page.evaluate("window.__xss") is None
    assert page.locator(INJECTED).count() == 0
    assert page.locator("script:not([src])").count() == page.locator("script[type='application/json']").count()


def test_xss_corpus_never_executes(open_as, server):
    """No dialog, no injected element, and the payload text visible literally, for all three roles."""
    server.user(
        "mallory",
        "provider",
        source="portal",
        agency="Sunrise Home Health",
        locations="A001",
        first_name=PAYLOADS[1],
        last_name=PAYLOADS[0],
    )
    provider = open_as("mallory", "/chat/")
    chat = start_chat(
        provider, "M-XSS-1", first=PAYLOADS[2], last=PAYLOADS[3], reference=PAYLOADS[4][:100], question=PAYLOADS[5]
    )
    case_number = chat.locator(".case-number").inner_text()
    agent = open_as("ana", "/agent/")
    agent.get_by_role("button", name=f"Accept case {case_number}").click()
    panel = agent.locator(f".agent-panel:has(.case-number:text-is('{case_number}'))")
    expect(panel).to_be_visible()
    for payload in PAYLOADS:
        chat.locator(".composer-text").fill(payload)
        chat.locator(".composer-text").press("Enter")
        panel.locator(".composer-text").fill("agent says " + payload)
        panel.locator(".composer-text").press("Enter")
    expect(panel.locator(".log li.msg", has_text="agent says " + PAYLOADS[-1])).to_have_count(1)
    expect(chat.locator(".log li.msg", has_text="agent says " + PAYLOADS[-1])).to_have_count(1)
    expect(panel.locator(".patient")).to_have_text(PAYLOADS[2] + " " + PAYLOADS[3])
    expect(panel.locator(".context")).to_contain_text(PAYLOADS[5])
    expect(panel.locator(".log")).to_contain_text(PAYLOADS[0])
    expect(chat.locator(".log")).to_contain_text("agent says " + PAYLOADS[1])
    expect(provider.locator(".topbar .who")).to_contain_text(PAYLOADS[1])
    assert_inert(provider)
    assert_inert(agent)

    panel.locator(".disposition").select_option("resolved")
    panel.get_by_role("button", name="Close chat").click()
    expect(chat.locator(".ended")).to_be_visible()

    supervisor = open_as("sofia", f"/supervisor/transcripts/?case={case_number}")
    supervisor.locator("#results").get_by_role("link", name=case_number).click()
    expect(supervisor.locator("#transcript-entries")).to_contain_text("agent says " + PAYLOADS[-1])
    expect(supervisor.locator("#transcript-entries")).to_contain_text(PAYLOADS[3])
    assert_inert(supervisor)
    supervisor.goto(f"/supervisor/audit/?case={case_number}")
    expect(supervisor.locator("#result-status")).to_contain_text("found")
    assert_inert(supervisor)
