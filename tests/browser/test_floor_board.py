"""Raise hand and the floor board in Chromium (issue 16): what the agent and the supervisor see, with axe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, start_chat
from tests.browser.test_chat_flow import agent_accepts
from tests.browser.test_chatlog import AXE, close_from_console

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    # a queue wait goes over its SLA within seconds; room for every test's chats
    return {"CHAT_SLA_WAIT_SECONDS": "default=4,discharge_within_24h=2", "CHAT_AGENT_CAPACITY": "6"}


def axe_violations(page, include: str | None = None) -> list:
    """Every axe-core violation (any impact) on the page, or inside `include`."""
    page.evaluate(Path(AXE).read_text())  # evaluate, not a <script>: the pages' CSP allows no inline script
    return page.evaluate(
        "async sel => (await axe.run(sel ? {include: [[sel]]} : document)).violations"
        ".map(v => [v.id, v.impact, v.nodes.map(n => n.target)])",
        include,
    )


def case_of(chat) -> str:
    return chat.locator(".case-number").inner_text()


def test_a_raised_hand_is_seen_taken_and_lowered(open_as):
    """The agent raises a hand with a reason; the floor shows it; Take tells the agent who; lowering clears it."""
    provider = open_as("paula", "/chat/")
    case = case_of(start_chat(provider, "M-HAND-1"))
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, case)
    supervisor = open_as("sofia", "/supervisor/")
    supervisor.locator("#floor-mute").check()
    expect(supervisor.locator("#floor-hands")).to_contain_text("No raised hands.")

    panel.get_by_role("button", name="Raise hand").click()
    form = panel.get_by_role("form", name="Raise hand")
    expect(form.get_by_label("Why do you need a supervisor?")).to_be_focused()
    form.get_by_label("Why do you need a supervisor?").select_option("other")
    form.get_by_role("button", name="Send to the floor").click()
    expect(form.locator(".field-error")).to_have_text("Say in the note what you need help with.")
    expect(form.get_by_label("Note for the supervisor (optional)")).to_be_focused()
    form.get_by_label("Note for the supervisor (optional)").fill("Provider disputes the rate")
    form.get_by_role("button", name="Send to the floor").click()
    expect(panel.locator(".hand-state")).to_have_text(
        "Hand raised (Something else (say what)): waiting for a supervisor."
    )
    expect(panel.get_by_role("button", name="Lower hand")).to_be_focused()  # focus stays on a control that is there
    assert axe_violations(agent, ".hand-box") == []

    row = supervisor.locator("#floor-hands tr", has_text=case)
    expect(row).to_contain_text("Provider disputes the rate")
    expect(row).to_contain_text("Something else")
    assert axe_violations(supervisor) == []
    supervisor.get_by_role("button", name=re.compile(f"Take the raised hand on case {case}")).click()
    expect(row).to_contain_text("Taken by Sofia")
    expect(supervisor.get_by_role("region", name="Raised hands")).to_be_focused()  # not lost to the page body
    expect(panel.locator(".hand-state")).to_contain_text("took your raised hand at")
    expect(panel.locator(".hand-box")).to_have_attribute("data-state", "taken")
    agent.screenshot(path=str(SCREENSHOTS / "agent-raised-hand.png"), full_page=True)

    panel.get_by_role("button", name="Lower hand").click()
    expect(panel.locator(".hand-state")).to_have_text("Hand lowered.")
    expect(panel.get_by_role("button", name="Raise hand")).to_be_focused()
    expect(supervisor.locator("#floor-hands")).to_contain_text("No raised hands.")
    close_from_console(panel)


def test_the_floor_board_goes_red_in_words_and_updates_today_live(open_as):
    """A waiting chat turns Over SLA (colour and text) with an alert; answering it moves today's figures and chart."""
    supervisor = open_as("sofia", "/supervisor/")
    supervisor.locator("#floor-mute").check()
    expect(supervisor.locator("#floor-conn")).to_have_text("Live")
    provider = open_as("paula", "/chat/")
    case = case_of(start_chat(provider, "M-SLA-1"))
    row = supervisor.locator("#floor-waiting tr", has_text=case)
    expect(row).to_contain_text("Within SLA")
    expect(row).to_contain_text("Over SLA", timeout=10_000)
    expect(row).to_have_attribute("data-level", "over")
    # The board re-renders its rows every second, so the pill is checked with a retrying assertion: a
    # one-shot evaluate can land on a row just replaced, whose computed style is empty.
    expect(row.locator(".sla")).to_have_css("background-color", "rgb(253, 232, 234)")  # the red pill, beside its words
    alert = supervisor.locator("#floor-alerts li", has_text=case)
    expect(alert).to_contain_text("Over SLA: " + case + " has waited", timeout=10_000)
    expect(alert).to_have_class(re.compile("alert-over"))
    expect(supervisor.locator("#floor-alert-count")).to_contain_text("1 over SLA")

    today = supervisor.locator("#floor-today")
    answered = today.locator(".stat", has_text="Answered").locator("strong")
    before = int(answered.inner_text())
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, case)
    expect(answered).to_have_text(str(before + 1), timeout=12_000)
    expect(supervisor.locator("#floor-waiting")).to_contain_text("No one is waiting.")
    expect(today.locator("svg.floor-chart rect.bar.answered").first).to_be_attached()
    assert "answered" in today.locator("svg.floor-chart desc").text_content()
    today.get_by_text("Today's figures per hour as a table").click()
    table = today.get_by_role("region", name="Today per hour")
    expect(table).to_be_visible()
    assert sum(int(t) for t in table.locator("tbody tr td:nth-child(3)").all_inner_texts()) == before + 1
    breaches = today.locator(".stat", has_text="SLA breaches").locator("strong")
    expect(breaches).not_to_have_text("0")
    assert axe_violations(supervisor) == []
    supervisor.screenshot(path=str(SCREENSHOTS / "supervisor-floor-board.png"), full_page=True)
    close_from_console(panel)


COUNT_TONES = """
window.__tones = 0;
window.AudioContext = function () {
  return { currentTime: 0, destination: {},
    createOscillator: () => ({ frequency: {}, connect() {}, start() { window.__tones += 1; }, stop() {} }),
    createGain: () => ({ gain: {}, connect() {} }) };
};
"""


def test_a_new_raised_hand_sounds_once_unless_muted(open_as):
    """The floor plays a tone for a new raised hand; ticking Mute silences it, and the choice is kept."""
    provider = open_as("paula", "/chat/")
    case = case_of(start_chat(provider, "M-TONE-1"))
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, case)
    supervisor = open_as("sofia", "/supervisor/")
    supervisor.add_init_script(COUNT_TONES)
    supervisor.reload()
    supervisor.locator("#floor-mute").uncheck()
    expect(supervisor.locator("#floor-hands")).to_contain_text("No raised hands.")

    def raise_and_lower(expect_tones: int) -> None:
        panel.get_by_role("button", name="Raise hand").click()
        panel.get_by_role("button", name="Send to the floor").click()
        expect(supervisor.locator("#floor-hands tr", has_text=case)).to_be_visible()
        if expect_tones:
            supervisor.wait_for_function(f"window.__tones >= {expect_tones}")
        else:
            supervisor.wait_for_timeout(1500)  # long enough for a tone that should not come
        assert supervisor.evaluate("window.__tones") == expect_tones
        panel.get_by_role("button", name="Lower hand").click()
        expect(supervisor.locator("#floor-hands")).to_contain_text("No raised hands.")

    raise_and_lower(1)
    expect(supervisor.locator("#floor-alert-news")).to_have_text("An agent raised a hand for help.")
    supervisor.locator("#floor-mute").check()
    supervisor.reload()
    expect(supervisor.locator("#floor-mute")).to_be_checked()  # kept across reloads
    expect(supervisor.locator("#floor-hands")).to_contain_text("No raised hands.")
    raise_and_lower(0)
    close_from_console(panel)
