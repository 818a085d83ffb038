"""Leave a message on the provider page (issue 17): the closed page offers it instead of a dead end; axe."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import fill_chat_form
from tests.browser.test_provider_page import axe_serious

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    today = datetime.now(ZoneInfo("America/New_York")).date()
    closed = ",".join((today + timedelta(days=n)).isoformat() for n in range(10))
    return {"CHAT_HOURS": "Mon-Fri 08:00-18:00", "CHAT_CLOSED_DATES": closed}


def test_after_hours_the_provider_leaves_a_message_and_gets_a_case_number(open_as):
    """Closed: "Leave a message" opens the same form plus the message; a case number at once; it waits for opening."""
    provider = open_as("paula", "/chat/")
    notice = provider.locator("#closed-notice")
    expect(notice).to_contain_text("leave a message")
    expect(provider.locator("#chat-form")).to_be_hidden()
    notice.get_by_role("button", name="Leave a message").click()
    form = provider.locator("#chat-form")
    expect(form).to_be_visible()
    expect(provider.locator("#form-title")).to_have_text("Leave a message about one patient")
    expect(provider.locator("#form-title")).to_be_focused()
    expect(provider.locator("#message-mode-hint")).to_contain_text("do not need to stay online")
    fill_chat_form(provider, member_id="M-LMP-1", question="")
    provider.get_by_role("button", name="Leave message").click()
    expect(provider.locator("#e-question")).to_have_text("Write your message: it is what the agent answers.")
    assert axe_serious(provider) == []  # the after-hours form, with its error

    provider.get_by_label("Your message (required)").fill("Please call back about the oxygen order.")
    provider.get_by_role("button", name="Leave message").click()
    chat = provider.locator(".chat-panel:not([hidden])")
    expect(chat).to_be_visible()
    case_number = chat.locator(".case-number").inner_text()
    assert re.fullmatch(r"CC-\d{8}", case_number)
    expect(chat.locator(".log")).to_contain_text("Your message was left: case " + case_number)
    expect(chat.locator(".status-line")).to_contain_text("Your message waits for chat to open")
    expect(chat.locator(".log")).to_contain_text("Please call back about the oxygen order.")
    assert axe_serious(provider) == []  # the left message's tab

    provider.get_by_role("tab", name="My chats").click()
    row = provider.locator("#mine-table tbody tr", has_text=case_number)
    expect(row).to_contain_text("Message left: waits for chat to open")
    provider.get_by_role("tab", name="New chat").click()
    expect(provider.locator("#closed-notice").get_by_role("button", name="Leave a message")).to_be_visible()
    expect(provider.locator("#chat-form")).to_be_hidden()  # back to the closed page, not a half-set form
