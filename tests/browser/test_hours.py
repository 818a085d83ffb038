"""What a provider sees outside chat hours."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    today = datetime.now(ZoneInfo("America/New_York")).date()
    closed = ",".join((today + timedelta(days=n)).isoformat() for n in range(10))
    # Not the default hours: the page must say what the server's schedule is, not a copy of it.
    return {"CHAT_HOURS": "Mon-Fri 09:00-17:00; Sat 09:00-12:00", "CHAT_CLOSED_DATES": closed}


def test_closed_hours_replace_the_form_with_when_chat_opens_and_the_phone(open_as):
    """Outside hours the form is gone; the page says when chat opens next and whom to call."""
    provider = open_as("paula", "/chat/")
    notice = provider.locator("#closed-notice")
    expect(notice).to_be_visible()
    expect(provider.locator("#hours-text")).to_contain_text("Chat is closed now. It opens again")
    expect(notice).to_contain_text("Chat opens again")
    expect(notice).to_contain_text(re.compile(r"\d{1,2}:\d\d [AP]M"))
    expect(notice).to_contain_text(
        "Chat is open Monday to Friday, 9:00 AM to 5:00 PM; Saturday, 9:00 AM to 12:00 PM Eastern time."
    )
    expect(notice).to_contain_text("1-800-555-0199")
    expect(notice.get_by_role("link", name="1-800-555-0199")).to_have_attribute("href", "tel:1-800-555-0199")
    expect(provider.locator("#chat-form")).to_be_hidden()
