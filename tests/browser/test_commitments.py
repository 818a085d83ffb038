"""Escalation commitments in Chromium: the console asks for one, the provider sees it live, at the end
and in My chats, supervisors mark it done; hostile contact names stay text; axe finds nothing serious."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import start_chat
from tests.browser.test_chat_flow import agent_accepts
from tests.browser.test_console_new_user import axe_serious
from tests.browser.test_xss import PAYLOADS, assert_inert

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"CHAT_AGENT_CAPACITY": "6"}


def tomorrow_noon() -> str:
    day = (datetime.now(ZoneInfo("America/New_York")) + timedelta(days=1)).date()
    return f"{day.isoformat()}T12:00"


def fill_commitment(panel, name: str = "Dana Ruiz", line: str = "800 555 0142 x12", due: str | None = None) -> None:
    panel.get_by_label("Resolve by (Eastern time)").fill(due or tomorrow_noon())
    panel.get_by_label("Escalation contact").fill(name)
    panel.get_by_label("Direct line or extension").fill(line)


def test_closing_unresolved_asks_for_a_commitment_and_the_provider_sees_it(open_as):
    """Follow-up needed without a commitment is held back with a reason; with one, the provider's chat,
    its ended box (case number, agent, commitment) and My chats show it; the supervisor marks it done."""
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-CM-1")
    case = chat.locator(".case-number").inner_text()
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, case)
    expect(chat.locator(".status-line")).to_contain_text("Ana Agent")

    panel.locator(".disposition").select_option("follow_up")
    panel.get_by_role("button", name="Close chat").click()
    expect(panel.locator(".commitment-error")).to_have_text(
        "To close without \u201cResolved\u201d, give the date and time it will be resolved by (Eastern time)."
    )
    expect(panel.get_by_label("Resolve by (Eastern time)")).to_be_focused()
    expect(panel.locator(".ended")).to_be_hidden()
    fill_commitment(panel, line="soon")
    panel.get_by_role("button", name="Close chat").click()
    expect(panel.locator(".commitment-error")).to_contain_text("10-digit phone number")  # the server's reason
    expect(panel.get_by_label("Direct line or extension")).to_be_focused()
    panel.get_by_label("Direct line or extension").fill("800 555 0142 x12")
    panel.get_by_role("button", name="Close chat").click()
    expect(panel.locator(".ended")).to_be_visible()

    box = chat.locator(".commitments")
    expect(box.get_by_role("heading", name="What happens next")).to_be_visible()
    expect(box).to_contain_text("Your escalation contact: Dana Ruiz, 800-555-0142 ext. 12.")
    expect(box).to_contain_text("12:00 PM E")  # EST or EDT, as that day has it
    ended = chat.locator(".ended")
    expect(ended).to_contain_text(f"Your case number is {case}")
    expect(ended.locator(".ended-agent")).to_have_text("Your agent was Ana Agent.")
    expect(ended.locator(".ended-commitments")).to_contain_text("Dana Ruiz, 800-555-0142 ext. 12")
    expect(chat.locator(".log")).to_contain_text("Ana Agent committed to resolve this by")

    provider.locator("#tab-mine").click()
    row = provider.locator(f"#mine-table tbody tr:has-text('{case}')")
    expect(row).to_contain_text("Dana Ruiz, 800-555-0142 ext. 12 · Open")
    expect(provider.locator("#mine-table thead")).to_contain_text("Commitments")

    supervisor = open_as("sofia", "/supervisor/commitments/")
    listed = supervisor.locator(f"#commitments tbody tr:has-text('{case}')")
    expect(listed).to_contain_text("Dana Ruiz, 800-555-0142 ext. 12")
    listed.get_by_role("button", name=f"Mark done: case {case}").click()
    expect(supervisor.locator("#result-status")).to_have_text(f"The commitment for case {case} is marked done.")
    expect(supervisor.locator(f"#commitments tbody tr:has-text('{case}')")).to_have_count(0)
    provider.locator("#mine-filter").get_by_role("button", name="Filter").click()
    expect(row).to_contain_text("Done (marked by Sofia Supervisor)")


def test_escalating_carries_the_commitment_to_the_provider_live(open_as):
    """Escalate with the commitment filled: the provider sees it while the chat goes on with the supervisor."""
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-CM-2")
    case = chat.locator(".case-number").inner_text()
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, case)
    supervisor_console = open_as("sofia", "/agent/")  # available only once nothing waits: offered nothing else
    expect(supervisor_console.locator("#conn")).to_have_text("Connected")
    supervisor_console.locator("#status-toggle").click()
    expect(supervisor_console.locator("#status-toggle")).to_have_text("Available")
    panel.get_by_role("button", name="Escalate").click()
    expect(panel.locator(".commitment-error")).to_contain_text("To escalate, give the date and time")
    fill_commitment(panel, name="Sofia Supervisor", line="ext. 4021")
    panel.get_by_role("button", name="Escalate").click()
    expect(chat.locator(".commitments")).to_contain_text("Your escalation contact: Sofia Supervisor, ext. 4021.")
    expect(chat.locator(".status-line")).to_contain_text("Sofia Supervisor")
    held = supervisor_console.locator(f".agent-panel:has(.case-number:text-is('{case}'))")
    expect(held.locator(".log")).to_contain_text("committed to resolve this by")
    held.locator(".disposition").select_option("resolved")
    held.get_by_role("button", name="Close chat").click()
    expect(chat.locator(".ended-agent")).to_have_text("Your agent was Sofia Supervisor.")
    supervisor_console.locator("#status-toggle").click()


def test_hostile_contact_names_stay_text_for_provider_and_supervisors(open_as):
    """The XSS sample as escalation contact names: literal text in the provider's chat, its ended box,
    My chats, and the supervisors' list; nothing runs, nothing is injected."""
    provider = open_as("paula", "/chat/")
    agent = open_as("ana", "/agent/")
    names = [p[:100] for p in PAYLOADS]
    for number, name in enumerate(names):
        chat = start_chat(provider, f"M-CM-X{number}")
        panel = agent_accepts(agent, chat.locator(".case-number").inner_text())
        fill_commitment(panel, name=name)
        panel.locator(".disposition").select_option("follow_up")
        panel.get_by_role("button", name="Close chat").click()
        expect(chat.locator(".commitments")).to_contain_text(f"Your escalation contact: {name}, 800-555-0142 ext. 12.")
        expect(chat.locator(".ended-commitments")).to_contain_text(name)
        panel.get_by_role("button", name="Dismiss").click()
    assert_inert(provider)
    assert_inert(agent)
    provider.locator("#tab-mine").click()
    for name in names:
        expect(provider.locator("#mine-table")).to_contain_text(name)
    assert_inert(provider)
    supervisor = open_as("sofia", "/supervisor/commitments/")
    for name in names:
        expect(supervisor.locator("#commitments")).to_contain_text(name)
    assert_inert(supervisor)


def test_commitment_pages_and_panels_have_no_serious_axe_violation(open_as):
    """axe-core, all rules: the console's commitment fieldset (with an error), the provider's commitment
    box and ended box, My chats with the column, and the supervisors' list."""
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-CM-9")
    case = chat.locator(".case-number").inner_text()
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, case)
    panel.locator(".disposition").select_option("follow_up")
    panel.get_by_role("button", name="Close chat").click()
    expect(panel.locator(".commitment-error")).not_to_be_empty()
    assert axe_serious(agent) == []
    fill_commitment(panel)
    panel.get_by_role("button", name="Close chat").click()
    expect(chat.locator(".ended-commitments")).to_be_visible()
    assert axe_serious(provider) == []
    provider.locator("#tab-mine").click()
    expect(provider.locator("#mine-table")).to_contain_text(case)
    assert axe_serious(provider) == []
    supervisor = open_as("sofia", "/supervisor/commitments/")
    expect(supervisor.locator("#commitments")).to_contain_text(case)
    assert axe_serious(supervisor) == []
    supervisor.goto("/supervisor/commitments/?status=done")
    expect(supervisor.get_by_role("heading", level=1)).to_have_text("Commitments marked done")
    assert axe_serious(supervisor) == []
