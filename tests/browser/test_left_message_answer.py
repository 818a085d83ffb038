"""A message left during a long wait, answered while the provider is away: the notice, My chats, the answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import fill_chat_form
from tests.browser.test_chat_flow import agent_accepts
from tests.browser.test_provider_page import axe_serious

pytestmark = pytest.mark.browser


def test_the_answer_to_a_left_message_waits_for_the_provider(open_as):
    """Nobody working: the page offers a message; the agent answers and closes; the provider comes back to it."""
    provider = open_as("paula", "/chat/")
    wait = provider.locator("#wait-notice")
    expect(wait).to_contain_text("No agent is available yet. You can leave a message instead")
    assert axe_serious(provider) == []
    wait.get_by_role("button", name="Leave a message instead").click()
    expect(provider.locator("#form-title")).to_have_text("Leave a message about one patient")
    fill_chat_form(provider, member_id="M-LMA-1", question="Can the Tuesday visit move to Wednesday?")
    provider.get_by_role("button", name="Leave message").click()
    chat = provider.locator(".chat-panel:not([hidden])")
    expect(chat.locator(".log")).to_contain_text("An agent will answer it as soon as one is free")
    case_number = chat.locator(".case-number").inner_text()
    provider.context.close()  # the provider goes away

    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, case_number)
    expect(panel.locator(".context")).to_contain_text("Left as a message")
    panel.locator(".composer-text").fill("Yes, Wednesday at 10 is booked.")
    panel.locator(".send").click()
    expect(panel.locator(".log li.msg.mine")).to_contain_text("Wednesday at 10")
    panel.get_by_role("button", name="Close chat").click()
    expect(panel.locator(".ended")).to_be_visible()

    back = open_as("paula", "/chat/")
    notice = back.locator("#answers-notice")
    expect(notice).to_contain_text("An agent answered the message you left, case " + case_number)
    assert "Wednesday" not in notice.inner_text()  # a notice, not the answer (no PHI in it)
    back.get_by_role("tab", name="My chats").click()
    expect(back.locator("#mine-table tbody tr", has_text=case_number)).to_contain_text("New answer")
    assert axe_serious(back) == []
    notice.get_by_role("button", name="Read the answer of case " + case_number).click()
    answer = back.locator(".chat-panel:not([hidden])")
    expect(answer.locator(".log")).to_contain_text("Yes, Wednesday at 10 is booked.")
    expect(answer.locator(".log")).to_contain_text("Can the Tuesday visit move to Wednesday?")
    expect(answer.locator(".ended")).to_contain_text("This chat has ended")
