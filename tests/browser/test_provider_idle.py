"""The idle warning people can act on (WCAG 2.2.1): "I'm still here", announced sparingly, focus there and back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import start_chat
from tests.browser.test_chat_flow import agent_accepts
from tests.browser.test_provider_page import axe_serious

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    # warning 1 after 3 s idle with 13 s left: the 10-second announcement comes 3 s into it
    return {"CHAT_IDLE_WARNINGS": "3,14", "CHAT_IDLE_DISCONNECT": "16"}


def test_still_here_keeps_the_chat_and_the_countdown_is_announced_once_then_at_10_seconds(open_as):
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-PG-IDLE")
    case_number = chat.locator(".case-number").inner_text()
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, case_number)
    expect(chat.locator(".status-line")).to_contain_text("chatting with")
    chat.locator(".composer-text").focus()
    provider.evaluate(
        """() => {
             const live = document.querySelector(".chat-panel:not([hidden]) .idle-announce");
             window.announced = [];
             new MutationObserver(() => { if (live.textContent) window.announced.push(live.textContent); })
               .observe(live, {childList: true, characterData: true, subtree: true});
           }"""
    )
    warning = chat.locator(".idle-warning")
    expect(warning).to_be_visible(timeout=15_000)
    expect(warning).to_be_focused()  # focus moves to the warning
    expect(warning).to_contain_text("unless you type, send a message")
    assert axe_serious(provider) == []  # the warning
    expect(chat.locator(".idle-countdown")).not_to_have_attribute("aria-live", "polite")
    for _ in range(100):  # (wait_for_function evaluates a string: the page's CSP refuses that)
        if provider.evaluate("window.announced.length") >= 2:
            break
        provider.wait_for_timeout(100)
    provider.wait_for_timeout(1500)  # the countdown keeps ticking; nothing more is said
    announced = provider.evaluate("window.announced")
    assert len(announced) == 2, announced
    assert "This chat ends for inactivity in 0:13" in announced[0]
    assert announced[1] == "10 seconds left before this chat ends for inactivity."

    chat.get_by_role("button", name="I'm still here").click()
    expect(warning).to_be_hidden()
    expect(chat.locator(".composer-text")).to_be_focused()  # and back where it was
    expect(panel.locator(".idle-state")).not_to_contain_text("warning")
    provider.wait_for_timeout(2500)  # the ladder restarted: no warning before 3 s, no end at the old 16 s
    expect(chat.locator(".composer")).to_be_visible()
    assert chat.get_attribute("data-ended") is None
    panel.locator(".disposition").select_option("resolved")
    panel.get_by_role("button", name="Close chat").click()
    expect(chat.locator(".ended")).to_be_visible()
