"""Idle warnings reach the provider's page with a live, announced countdown, then the chat ends."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import start_chat

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"CHAT_IDLE_WARNINGS": "2,4", "CHAT_IDLE_DISCONNECT": "6"}


def seconds(text: str) -> int:
    minutes, secs = text.split(":")
    return int(minutes) * 60 + int(secs)


def test_idle_warnings_count_down_then_the_chat_ends(open_as):
    """Warning 1 and 2 show with a ticking countdown in an aria-live region; the end shows the case."""
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-IDLE-1")
    case_number = chat.locator(".case-number").inner_text()
    agent = open_as("ana", "/agent/")
    agent.get_by_role("button", name=f"Accept case {case_number}").click()
    panel = agent.locator(f".agent-panel:has(.case-number:text-is('{case_number}'))")

    warning = chat.locator(".idle-warning")
    expect(warning).to_be_visible(timeout=10_000)
    assert chat.locator(".idle-announce").get_attribute("aria-live") in ("assertive", "polite")  # said, not re-read
    expect(warning).to_contain_text("Are you still there?")
    countdown = chat.locator(".idle-countdown")
    first = seconds(countdown.inner_text())
    assert 0 < first <= 4
    provider.wait_for_timeout(1100)
    assert seconds(countdown.inner_text()) < first
    expect(panel.locator(".idle-state")).to_contain_text("warning")
    expect(warning).to_contain_text("Final warning", timeout=5_000)

    ended = chat.locator(".ended")
    expect(ended).to_be_visible(timeout=10_000)
    expect(ended).to_contain_text("no reply")
    expect(ended).to_contain_text(case_number)
    expect(warning).to_be_hidden()
    expect(chat.locator(".composer")).to_be_hidden()
    expect(panel.locator(".ended")).to_contain_text("inactivity")
