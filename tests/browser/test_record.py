"""Internal notes, whisper and barge, and the patient history panel in Chromium (docs/record.md)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, start_chat
from tests.browser.test_chat_flow import agent_accepts
from tests.browser.test_chatlog import close_from_console
from tests.browser.test_console_new_user import axe_serious, case_of

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"CHAT_AGENT_CAPACITY": "6"}


def test_an_agents_note_is_marked_internal_and_never_reaches_the_provider(open_as):
    """The note shows in the console's log marked "Internal note"; the provider's page never shows it
    and keeps working (their next message reaches the agent); the console has no serious axe violation."""
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-REC-1")
    case = case_of(chat)
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, case)
    note = panel.get_by_label("Internal note (staff only: the provider never sees it)")
    note.fill("Provider sounded unsure; call back Friday")
    panel.get_by_role("button", name="Add note").click()
    item = panel.locator(".log li.internal.note")
    expect(item).to_contain_text("Internal note · Ana Agent")
    expect(item).to_contain_text("call back Friday")
    expect(panel.locator(".note-state")).to_have_text("Note added to the case record.")
    expect(note).to_have_value("")
    expect(panel.get_by_role("button", name="Add note")).to_be_focused()  # focus stays where the agent was
    provider_text = chat.locator(".composer-text")
    provider_text.fill("Any news?")
    provider_text.press("Enter")
    expect(panel.locator(".log")).to_contain_text("Any news?")
    assert "call back Friday" not in chat.inner_text()
    assert axe_serious(agent) == []
    close_from_console(panel)
    note.fill("Wrap-up: form sent")  # the chat has ended: a wrap-up note still goes on the record
    panel.get_by_role("button", name="Add note").click()
    expect(panel.locator(".log li.internal.note", has_text="Wrap-up: form sent")).to_be_visible()
    assert "Wrap-up" not in chat.inner_text()


def test_whisper_then_barge_as_the_agent_and_the_provider_see_it(open_as):
    """A whisper shows on the console marked as one and never on the provider's page; joining shows
    "Supervisor … joined the chat." to the provider, then the supervisor's message; axe on the floor."""
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-REC-2")
    case = case_of(chat)
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, case)
    supervisor = open_as("sofia", "/supervisor/")
    supervisor.get_by_role("button", name=f"Monitor case {case}").click()
    section = supervisor.locator(f".monitor:has-text('{case}')")
    expect(section).to_be_visible()
    section.get_by_label("Whisper to the agent", exact=True).check()
    expect(section.locator(".muted")).to_have_text(re.compile("Whispering: only the agent sees"))
    say = section.get_by_label("Whisper to the agent (the provider does not see it)")
    say.fill("Offer the renewal form")
    section.get_by_role("button", name="Send").click()
    whisper = panel.locator(".log li.internal.whisper")
    expect(whisper).to_contain_text("Whisper from Sofia Supervisor")
    expect(whisper).to_contain_text("Offer the renewal form")
    expect(panel.locator(".log li.internal", has_text="is whispering to the agent")).to_be_visible()
    expect(section.locator(".log li.internal.whisper")).to_contain_text("Offer the renewal form")
    supervisor.screenshot(path=SCREENSHOTS / "record-whisper-floor.png", full_page=True)
    agent.screenshot(path=SCREENSHOTS / "record-whisper-console.png", full_page=True)
    assert axe_serious(supervisor) == []

    section.get_by_label("Join the chat").check()
    expect(chat.locator(".log")).to_contain_text("Supervisor Sofia Supervisor joined the chat.")
    section.get_by_label("Message to the provider and the agent").fill("Hello, I am the supervisor.")
    section.get_by_role("button", name="Send").click()
    expect(chat.locator(".log")).to_contain_text("Hello, I am the supervisor.")
    expect(panel.locator(".log")).to_contain_text("Hello, I am the supervisor.")
    section.get_by_label("Monitor silently").check()
    expect(chat.locator(".log")).to_contain_text("Supervisor Sofia Supervisor left the chat.")
    provider_log = chat.locator(".log").inner_text()
    assert "Offer the renewal form" not in provider_log and "whispering" not in provider_log
    assert axe_serious(supervisor) == []
    close_from_console(panel)

    supervisor.goto(f"/supervisor/transcripts/{case}/")  # the case record keeps it all, marked
    transcript = supervisor.locator("#transcript-entries")
    expect(transcript.locator("li.internal.whisper")).to_contain_text("Whisper to the agent · Sofia Supervisor")
    expect(transcript.locator("li.internal.whisper")).to_contain_text("Offer the renewal form")
    expect(transcript).to_contain_text("Supervisor Sofia Supervisor joined the chat.")


def test_the_history_panel_lists_earlier_chats_and_opens_one_read_only(open_as):
    """A second chat about the member shows the first (case, type, disposition, agent); Open shows it
    read-only and Close gives focus back; axe finds nothing serious."""
    provider = open_as("paula", "/chat/")
    first = case_of(start_chat(provider, "M-REC-3", ttype="reauthorization"))
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, first)
    expect(panel.locator(".history")).to_contain_text("No earlier chats about this member")
    reply = panel.locator(".composer-text")
    reply.fill("Renewed through June.")
    reply.press("Enter")
    expect(panel.locator(".log li.mine")).to_contain_text("Renewed through June.")
    close_from_console(panel)
    panel.get_by_role("button", name="Dismiss").click()

    second = case_of(start_chat(provider, "M-REC-3"))
    panel = agent_accepts(agent, second)
    history = panel.locator(".history")
    row = history.locator(f"li[data-case='{first}']")
    expect(row).to_contain_text("Reauthorization")
    expect(row).to_contain_text("Resolved")
    expect(row).to_contain_text("Ana Agent")
    opener = history.get_by_role("button", name=f"Open case {first} read-only")
    opener.click()
    view = history.locator(".history-view")
    expect(view.get_by_role("heading", name=f"Case {first} (read-only)")).to_be_focused()
    expect(view.locator(".log")).to_contain_text("Renewed through June.")
    agent.screenshot(path=SCREENSHOTS / "record-history.png", full_page=True)
    assert view.locator("textarea, input").count() == 0  # read-only: nothing to write in
    assert axe_serious(agent) == []
    view.get_by_role("button", name=f"Close case {first}").click()
    expect(opener).to_be_focused()
    close_from_console(panel)
