"""Console and floor as a new user finds them (issue 16): mouse, focus, countdown, words, canned replies, axe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import start_chat
from tests.browser.test_chat_flow import agent_accepts
from tests.browser.test_chatlog import AXE, close_from_console

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    # the first idle warning comes soon and leaves a long countdown; room for every test's chats
    return {"CHAT_IDLE_WARNINGS": "3,120", "CHAT_IDLE_DISCONNECT": "180", "CHAT_AGENT_CAPACITY": "6"}


def case_of(chat) -> str:
    return chat.locator(".case-number").inner_text()


def panel_of(agent, case: str):
    return agent.locator(f".agent-panel:has(.case-number:text-is('{case}'))")


def test_queue_accept_buttons_take_a_mouse_click_beside_an_open_chat(open_as):
    """The Accept button sits inside the 300 px sidebar, the case number on one line; a real mouse click takes it."""
    provider = open_as("paula", "/chat/")
    first = case_of(start_chat(provider, "M-NU-1"))
    agent = open_as("ana", "/agent/")
    agent_accepts(agent, first)  # a chat panel is open beside the queue
    second = case_of(start_chat(provider, "M-NU-2", ttype="authorization_edit"))
    button = agent.get_by_role("button", name=f"Accept case {second}")
    expect(button).to_be_visible()
    side, box = agent.locator("aside.side").bounding_box(), button.bounding_box()
    assert side and box
    assert side["x"] <= box["x"] and box["x"] + box["width"] <= side["x"] + side["width"], (side, box)
    assert button.inner_text() == "Accept"
    cell = agent.locator("#queue-rows tr", has=button).locator("td").first
    lines = cell.evaluate(
        "td => { const r = document.createRange(); r.selectNodeContents(td); return r.getClientRects().length; }"
    )
    assert lines == 1, "the case number wraps"
    hit = agent.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('button')?.textContent",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert hit == "Accept"  # nothing lies over the button
    agent.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(panel_of(agent, second)).to_be_visible()
    close_from_console(panel_of(agent, second))
    agent.get_by_role("tab", name=re.compile(first)).click()
    close_from_console(panel_of(agent, first))


def test_an_offer_is_announced_and_leaves_focus_where_the_agent_types(open_as):
    """Typing in one chat, an auto-routed chat shows a toast and a "new" badge; no word is lost; closing keeps focus."""
    provider = open_as("paula", "/chat/")
    first = case_of(start_chat(provider, "M-NU-3"))
    agent = open_as("ana", "/agent/")
    agent.locator("#mute").check()
    panel = agent_accepts(agent, first)
    toggle = agent.locator("#status-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    text = panel.locator(".composer-text")
    text.click()
    text.press_sequentially("The authorization ")
    second = case_of(start_chat(provider, "M-NU-4", first="Grace", last="Hopper"))
    expect(agent.locator("#offer-toast")).to_contain_text(second)
    new_tab = agent.get_by_role("tab", name=re.compile(second))
    expect(new_tab.locator(".badge")).to_have_text("new")
    expect(agent.get_by_role("tab", name=re.compile(first))).to_have_attribute("aria-selected", "true")
    expect(text).to_be_focused()
    agent.keyboard.type("is approved")
    expect(text).to_have_value("The authorization is approved")
    toggle.click()  # away: no more offers
    expect(toggle).to_have_attribute("aria-pressed", "false")

    panel.locator(".disposition").select_option("resolved")
    panel.get_by_role("button", name="Close chat").click()
    dismiss = panel.get_by_role("button", name="Dismiss")
    expect(dismiss).to_be_focused()  # not the page body, and not the next offer
    expect(agent.get_by_role("tab", name=re.compile(first))).to_have_attribute("aria-selected", "true")
    dismiss.click()
    expect(new_tab).to_be_focused()
    assert agent.evaluate("document.activeElement !== document.body")
    expect(new_tab.locator(".badge")).to_be_hidden()  # seen now
    close_from_console(panel_of(agent, second))


def test_after_a_reload_own_messages_read_you_and_no_badge_is_new(open_as):
    """ "You" live and after a reload alike; a reload marks nothing as new."""
    provider = open_as("paula", "/chat/")
    first_chat = start_chat(provider, "M-NU-5")
    first = case_of(first_chat)
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, first)
    first_chat.locator(".composer-text").fill("Hello from the agency")
    first_chat.locator(".composer-text").press("Enter")
    expect(panel.locator(".log")).to_contain_text("Hello from the agency")
    panel.locator(".composer-text").fill("Checking now")
    panel.locator(".composer-text").press("Enter")
    mine = panel.locator("li.msg.mine", has_text="Checking now")
    expect(mine.locator(".state")).to_be_hidden()  # confirmed (its state line goes)
    expect(mine.locator(".who")).to_have_text("You")
    agent.reload()
    panel = panel_of(agent, first)
    expect(panel.locator("li.msg.mine", has_text="Checking now").locator(".who")).to_have_text("You")
    expect(panel.locator("li.msg.theirs", has_text="Hello from the agency").locator(".who")).to_have_text(
        "Paula Provider"
    )
    agent.wait_for_timeout(1500)  # give a replay or head sync the chance to mark something
    expect(agent.locator("#chat-tabs .badge:visible")).to_have_count(0)
    close_from_console(panel)


def test_the_idle_countdown_ticks_on_the_console(open_as):
    """ "chat ends in 2:57" counts down on the agent's screen."""
    provider = open_as("paula", "/chat/")
    case = case_of(start_chat(provider, "M-NU-6"))
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, case)
    state = panel.locator(".idle-state")
    expect(state).to_contain_text("chat ends in", timeout=10_000)

    def left() -> int:
        minutes, seconds = re.search(r"ends in (\d+):(\d\d)", state.inner_text()).groups()  # type: ignore[union-attr]
        return int(minutes) * 60 + int(seconds)

    start = left()
    expect(state).not_to_contain_text(f"ends in {start // 60}:{start % 60:02d}", timeout=5_000)
    assert left() < start
    close_from_console(panel)


def test_supervisors_manage_canned_replies_and_agents_get_them(open_as):
    """A supervisor adds, edits and deletes replies on /supervisor/canned/; a bad shortcut is refused with a reason."""
    supervisor = open_as("sofia", "/supervisor/canned/")
    expect(supervisor.get_by_role("heading", level=1)).to_have_text("Canned replies")
    supervisor.get_by_label("Title").fill("Fax number")
    supervisor.get_by_label("Shortcut").fill("fax me")
    supervisor.get_by_label("Text").fill("Our fax number is 555-0100.")
    supervisor.get_by_role("button", name="Add").click()
    expect(supervisor.locator(".field-error")).to_contain_text("A shortcut is /")
    supervisor.get_by_label("Shortcut").fill("/fax")
    supervisor.get_by_role("button", name="Add").click()
    expect(supervisor.locator("#canned-list")).to_contain_text("Our fax number is 555-0100.")
    supervisor.get_by_role("link", name="Edit Fax number").click()
    supervisor.get_by_label("Text").fill("Our fax number is 555-0199.")
    supervisor.get_by_role("button", name="Save").click()
    expect(supervisor.locator("#canned-list")).to_contain_text("555-0199")
    supervisor.get_by_label("Title").fill("Temporary")
    supervisor.get_by_label("Text").fill("To be deleted.")
    supervisor.get_by_role("button", name="Add").click()
    supervisor.get_by_role("button", name="Delete Temporary").click()
    expect(supervisor.locator("#canned-list")).not_to_contain_text("To be deleted.")

    provider = open_as("paula", "/chat/")
    case = case_of(start_chat(provider, "M-NU-7"))
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, case)
    panel.locator(".composer-text").fill("/fax")
    panel.locator(".composer-text").press("Tab")
    expect(panel.locator(".composer-text")).to_have_value("Our fax number is 555-0199.")
    close_from_console(panel)
    assert agent.goto("/supervisor/canned/").status == 403  # agents use them, supervisors keep them


def test_supervisor_pages_speak_words_link_the_csv_and_find_by_patient_name(open_as):
    """No raw codes; the transcript shows its disposition; metrics link their CSV; the chart's colours differ."""
    provider = open_as("paula", "/chat/")
    case = case_of(start_chat(provider, "M-NU-8", first="Hedy", last="Lamarr", ttype="status_inquiry"))
    agent = open_as("ana", "/agent/")
    close_from_console(agent_accepts(agent, case))
    supervisor = open_as("sofia", "/supervisor/transcripts/")
    supervisor.get_by_label("Patient name").fill("hedy lam")
    supervisor.get_by_role("button", name="Search").click()
    results = supervisor.locator("#results")
    expect(results).to_contain_text(case)
    expect(supervisor.locator("#result-status")).to_have_text("1 found.")
    expect(results).to_contain_text("Status inquiry")
    expect(results).to_contain_text("Closed by agent")
    for code in ("status_inquiry", "agent_closed", "Waiting seconds", "Close reason"):
        if code != "Close reason":
            expect(results).not_to_contain_text(code)
    results.get_by_role("link", name=case).click()
    head = supervisor.locator("#transcript-head")
    expect(head).to_contain_text("Disposition")
    expect(head).to_contain_text("Resolved")
    expect(head).not_to_contain_text("agent_closed")

    supervisor.goto("/supervisor/metrics/")
    expect(supervisor.locator("#chart svg.chart").first).to_be_visible()
    link = supervisor.get_by_role("link", name=re.compile("CSV"))
    expect(link).to_have_attribute("href", re.compile(r"^/api/metrics/\?.*format=csv"))
    with supervisor.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_text().strip()  # the same figures, as a file
    page_text = supervisor.locator("#results").inner_text() + supervisor.locator("#chart").inner_text()
    for code in ("wait_p50", "status_inquiry", "Waiting seconds", "seconds"):
        assert code not in page_text, code
    colours = supervisor.locator("#chart svg.chart").evaluate_all(
        "charts => charts.map(c => [...c.querySelectorAll('polyline')]"
        ".map(p => getComputedStyle(p).stroke + getComputedStyle(p).strokeDasharray))"
    )
    for chart in colours:
        assert len(set(chart)) == len(chart), chart


SERIOUS = (
    "results => results.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')"
    ".map(v => [v.id, v.nodes.map(n => n.target)])"
)


def axe_serious(page) -> list:
    page.evaluate(Path(AXE).read_text())  # evaluate, not a <script>: the pages' CSP allows no inline script
    return page.evaluate("async serious => eval(serious)(await axe.run(document))", SERIOUS)


def test_console_and_floor_have_no_serious_axe_violation(open_as):
    """axe-core, all rules, with a chat open, one waiting and one monitored: nothing serious or critical."""
    provider = open_as("paula", "/chat/")
    held = case_of(start_chat(provider, "M-NU-9"))
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, held)
    waiting = case_of(start_chat(provider, "M-NU-10"))
    expect(agent.locator("#queue-rows")).to_contain_text(waiting)
    assert axe_serious(agent) == []
    supervisor = open_as("sofia", "/supervisor/")
    supervisor.get_by_role("button", name=f"Monitor case {held}").click()
    expect(supervisor.locator(".monitor")).to_be_visible()
    assert axe_serious(supervisor) == []
    for path in ("/supervisor/transcripts/", "/supervisor/metrics/", "/supervisor/canned/"):
        supervisor.goto(path)
        expect(supervisor.locator("#result-status, h1").first).to_be_visible()
        assert axe_serious(supervisor) == [], path
    close_from_console(panel)
    agent_accepts(agent, waiting)
    close_from_console(panel_of(agent, waiting))


def test_back_to_queue_goes_to_another_agent_with_room(open_as, server):
    """Ana returns a chat while Ben has room: Ben's console gets it, not Ana's again."""
    server.user("ben", "agent", first_name="Ben", last_name="Agent")
    ana, ben = open_as("ana", "/agent/"), open_as("ben", "/agent/")
    for agent in (ana, ben):
        agent.locator("#mute").check()
    ana.locator("#status-toggle").click()
    expect(ana.locator("#status-toggle")).to_have_attribute("aria-pressed", "true")
    provider = open_as("paula", "/chat/")
    first = case_of(start_chat(provider, "M-NU-11"))
    expect(panel_of(ana, first)).to_have_count(1)
    ben.locator("#status-toggle").click()
    expect(ben.locator("#status-toggle")).to_have_attribute("aria-pressed", "true")
    second = case_of(start_chat(provider, "M-NU-12"))
    expect(panel_of(ben, second)).to_have_count(1)  # each holds one: Ana has no less room than Ben
    panel_of(ana, first).get_by_role("button", name="Back to queue").click()
    expect(panel_of(ben, first)).to_have_count(1)
    expect(panel_of(ana, first)).to_have_count(0)
    for agent in (ana, ben):
        agent.locator("#status-toggle").click()
        expect(agent.locator("#status-toggle")).to_have_attribute("aria-pressed", "false")
    for case in (first, second):
        ben.get_by_role("tab", name=re.compile(case)).click()
        close_from_console(panel_of(ben, case))
