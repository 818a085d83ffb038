"""The idle warning about to end a chat reaches the agent: badge, title count, sound, notification (issue 16)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import start_chat
from tests.browser.test_chat_flow import agent_accepts
from tests.browser.test_console_alerts import case_of, console

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"CHAT_IDLE_WARNINGS": "2,4", "CHAT_IDLE_DISCONNECT": "120"}


def test_the_last_idle_warning_alerts_an_agent_who_is_elsewhere(open_as):
    """Page in the background: the second warning beeps, badges the tab, counts in the title and notifies by case."""
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-IDLE-AL-1", first="Ada", last="Lovelace")
    case = case_of(chat)
    agent = console(open_as)
    agent.evaluate("window.Notification.permission = 'granted'")
    panel = agent_accepts(agent, case)
    base = agent.title()
    agent.evaluate("window.__hidden = true")
    expect(panel.locator(".idle-state")).to_contain_text("warning 2 of 2", timeout=15_000)
    tab = agent.get_by_role("tab", name=re.compile(case))
    expect(tab.locator(".badge")).to_have_text("1")
    expect(agent).to_have_title(f"(1) {base}")
    assert agent.evaluate("window.__beeps") >= 1
    notes = agent.evaluate("window.__notes")
    assert {"title": "Agent console", "body": f"Chat {case} ends soon: the provider is idle"} in notes
    assert "Ada" not in str(notes) and "Lovelace" not in str(notes)
    agent.evaluate("window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))")
    expect(tab.locator(".badge")).to_be_hidden()
    panel.locator(".disposition").select_option("resolved")
    panel.get_by_role("button", name="Close chat").click()
    expect(panel.locator(".ended")).to_be_visible()
