"""Alerts that reach the agent, keyboard shortcuts and their help overlay, the transfer picker, wrap-up (issue 16)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, start_chat
from tests.browser.test_chat_flow import agent_accepts
from tests.browser.test_chatlog import AXE

pytestmark = pytest.mark.browser

# Notification, sound and visibility made observable: what the page asked for and what it showed.
STUBS = """
window.__beeps = 0; window.__notes = []; window.__asked = 0; window.__hidden = false;
function FakeNotification(title, options) {
  window.__notes.push({ title: title, body: options && options.body });
  this.close = function () {};
}
FakeNotification.permission = localStorage.getItem("test.permission") || "default";
FakeNotification.requestPermission = function () {
  window.__asked += 1;
  FakeNotification.permission = "granted";
  localStorage.setItem("test.permission", "granted");
  return Promise.resolve("granted");
};
window.Notification = FakeNotification;
function FakeAudio() { this.state = "running"; this.currentTime = 0; this.destination = {}; }
FakeAudio.prototype.createOscillator = function () {
  return { frequency: {}, connect: function () {}, start: function () { window.__beeps += 1; }, stop: function () {} };
};
FakeAudio.prototype.createGain = function () { return { gain: {}, connect: function () {} }; };
window.AudioContext = FakeAudio;
Object.defineProperty(Document.prototype, "hidden", {
  get: function () { return window.__hidden; }, configurable: true,
});
Document.prototype.hasFocus = function () { return !window.__hidden; };
"""


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    # no idle warnings during these tests; a short wrap-up; room for every test's chats and wrap-ups
    return {
        "CHAT_IDLE_WARNINGS": "200,250",
        "CHAT_IDLE_DISCONNECT": "300",
        "CHAT_AGENT_CAPACITY": "10",
        "CHAT_WRAPUP_SECONDS": "20",
    }


def console(open_as, username: str = "ana"):
    """The agent console with the stubs in place before its scripts run."""
    page = open_as(username, "/")
    page.add_init_script(STUBS)
    page.goto("/agent/")
    expect(page.locator("#conn")).to_have_text("Connected")
    return page


def case_of(chat) -> str:
    return chat.locator(".case-number").inner_text()


def say(chat, text: str) -> None:
    chat.locator(".composer-text").fill(text)
    chat.locator(".composer-text").press("Enter")


def finish(panel) -> None:
    """Close and finish the wrap-up at once, so the slot is free for the next test."""
    panel.locator(".disposition").select_option("resolved")
    panel.get_by_role("button", name="Close chat").click()
    panel.get_by_role("button", name="Finish wrap-up").click()
    expect(panel).to_have_count(0)


def test_unread_badges_title_count_and_a_remembered_mute(open_as):
    """Replies in a background tab count on its badge and in the title; selecting clears them; mute silences."""
    provider = open_as("paula", "/chat/")
    first = start_chat(provider, "M-AL-1")
    second = start_chat(provider, "M-AL-2", first="Grace", last="Hopper")
    agent = console(open_as)
    base = agent.title()
    agent_accepts(agent, case_of(first))
    other = agent_accepts(agent, case_of(second))
    front = agent.get_by_role("tab", name=re.compile(case_of(first)))
    front.click()
    back = agent.get_by_role("tab", name=re.compile(case_of(second)))
    say(second, "A question about Grace")
    expect(back.locator(".badge")).to_have_text("1")
    expect(agent).to_have_title(f"(1) {base}")
    say(second, "And another")
    expect(back.locator(".badge")).to_have_text("2")
    expect(agent).to_have_title(f"(2) {base}")
    assert agent.evaluate("window.__beeps") == 2
    back.click()
    expect(back.locator(".badge")).to_be_hidden()
    expect(agent).to_have_title(base)

    agent.locator("#mute").check()
    agent.reload()
    expect(agent.locator("#mute")).to_be_checked()  # remembered
    agent.get_by_role("tab", name=re.compile(case_of(first))).click()
    say(second, "Third message")
    expect(agent.get_by_role("tab", name=re.compile(case_of(second))).locator(".badge")).to_have_text("1")
    assert agent.evaluate("window.__beeps") == 0  # muted: the badge and title still tell
    agent.locator("#mute").uncheck()
    finish(agent.locator(".agent-panel", has=agent.locator(f".case-number:text-is('{case_of(first)}')")))
    agent.get_by_role("tab", name=re.compile(case_of(second))).click()
    finish(other)


def test_desktop_notifications_are_asked_once_from_a_click_and_carry_no_phi(open_as):
    """No permission prompt at load; one on the button; in the background a notification names only the case."""
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-AL-3", first="Ada", last="Lovelace")
    agent = console(open_as)
    assert agent.evaluate("window.__asked") == 0  # never asked by itself
    button = agent.get_by_role("button", name="Turn on desktop notifications")
    expect(button).to_be_visible()
    button.click()
    expect(button).to_be_hidden()
    expect(agent.locator("#notify-state")).to_contain_text("on while this page is in the background")
    assert agent.evaluate("window.__asked") == 1
    case = case_of(chat)
    panel = agent_accepts(agent, case)
    agent.evaluate("window.__hidden = true; document.dispatchEvent(new Event('visibilitychange'))")
    say(chat, "Private detail about the patient")
    expect(agent.get_by_role("tab", name=re.compile(case)).locator(".badge")).to_have_text("1")
    notes = agent.evaluate("window.__notes")
    assert notes == [{"title": "Agent console", "body": f"New reply in chat {case}"}]
    assert "Ada" not in str(notes) and "Lovelace" not in str(notes) and "Private" not in str(notes)
    agent.evaluate("window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))")
    expect(agent.get_by_role("tab", name=re.compile(case)).locator(".badge")).to_be_hidden()  # back: read
    agent.reload()
    expect(agent.locator("#conn")).to_have_text("Connected")
    expect(agent.get_by_role("button", name="Turn on desktop notifications")).to_be_hidden()
    assert agent.evaluate("window.__asked") == 0
    finish(agent.locator(".agent-panel", has=agent.locator(f".case-number:text-is('{case}')")))
    del panel


def test_help_overlay_by_keyboard_only_with_no_axe_violations(open_as):
    """`?` opens the list outside text fields only; focus stays in it; Escape closes it and focus returns."""
    provider = open_as("paula", "/chat/")
    first = start_chat(provider, "M-AL-4")
    second = start_chat(provider, "M-AL-5")
    agent = console(open_as)
    panel = agent_accepts(agent, case_of(first))
    agent_accepts(agent, case_of(second))
    text = agent.locator(".agent-panel:not([hidden]) .composer-text")
    text.focus()
    agent.keyboard.type("Is it ok?")
    expect(text).to_have_value("Is it ok?")  # typing a question mark is just typing
    dialog = agent.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_hidden()
    toggle = agent.locator("#status-toggle")
    toggle.focus()
    agent.keyboard.press("?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    expect(dialog).to_contain_text("Accept the next chat in the queue")
    for key in ["Tab", "Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab"]:
        agent.keyboard.press(key)
        assert agent.evaluate("document.getElementById('shortcut-help').contains(document.activeElement)"), key
    agent.evaluate(Path(AXE).read_text())
    result = agent.evaluate("axe.run(document)")
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]] == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    agent.set_viewport_size({"width": 1024, "height": 1100})  # the whole list in the picture
    agent.evaluate("document.getElementById('shortcut-help').scrollTop = 0; window.scrollTo(0, 0)")
    agent.screenshot(path=str(SCREENSHOTS / "agent-shortcuts.png"))
    agent.set_viewport_size({"width": 1024, "height": 768})
    agent.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(toggle).to_be_focused()  # focus went back where it was

    # every action by keyboard
    agent.keyboard.press("Alt+S")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    agent.keyboard.press("Alt+S")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    agent.keyboard.press("Alt+M")
    expect(agent.locator("#mute")).to_be_checked()
    agent.keyboard.press("Alt+M")
    expect(agent.locator("#mute")).not_to_be_checked()
    agent.keyboard.press("Alt+R")
    expect(agent.locator(".agent-panel:not([hidden]) .composer-text")).to_be_focused()
    selected = agent.locator("[role=tab][aria-selected=true]")
    before = selected.get_attribute("id")
    agent.keyboard.press("Alt+.")
    expect(selected).not_to_have_id(before or "")
    expect(selected).to_be_focused()
    agent.keyboard.press("Alt+,")
    expect(selected).to_have_id(before or "")
    for key, target in [
        ("Alt+P", ".canned"),
        ("Alt+T", ".transfer-to"),
        ("Alt+B", ".back-to-queue"),
        ("Alt+U", ".escalate"),
        ("Alt+C", ".disposition"),
    ]:
        agent.keyboard.press(key)
        expect(agent.locator(f".agent-panel:not([hidden]) {target}")).to_be_focused()
    third = case_of(start_chat(provider, "M-AL-6"))
    expect(agent.locator("#queue-rows")).to_contain_text(third)
    agent.keyboard.press("Alt+A")
    expect(agent.get_by_role("button", name=f"Accept case {third}")).to_be_focused()
    agent.keyboard.press("Alt+N")  # accept next: the chat opens in front
    expect(agent.locator(".agent-panel:not([hidden]) .case-number")).to_have_text(third)
    agent.keyboard.press("Alt+C")  # on the disposition; Tab to Close chat
    agent.keyboard.press("Tab")
    agent.keyboard.press("Enter")
    expect(agent.locator(".agent-panel:not([hidden]) .wrapup")).to_be_visible()
    agent.keyboard.press("Alt+X")  # finish the wrap-up
    expect(agent.locator(".agent-panel .case-number", has_text=third)).to_have_count(0)
    for case in (case_of(first), case_of(second)):
        agent.get_by_role("tab", name=re.compile(case)).click()
        finish(agent.locator(".agent-panel", has=agent.locator(f".case-number:text-is('{case}')")))
    del panel


def test_transfer_picker_lists_who_has_room_with_their_load(open_as):
    """Ana chooses Sofia (available, with her load shown) from the list; the chat moves to Sofia's console."""
    provider = open_as("paula", "/chat/")
    case = case_of(start_chat(provider, "M-AL-7"))
    agent = console(open_as)
    panel = agent_accepts(agent, case)
    picker = panel.get_by_label("Transfer to")
    expect(picker.locator("option")).to_have_text(["No one available with room"])
    sofia = console(open_as, "sofia")
    sofia.locator("#status-toggle").click()
    expect(sofia.locator("#status-toggle")).to_have_attribute("aria-pressed", "true")
    agent.wait_for_timeout(2100)  # the list is fetched at most every 2 s
    panel.locator(".composer-text").focus()
    picker.focus()  # focusing the picker refreshes it
    option = picker.locator("option", has_text="Sofia Supervisor")
    expect(option).to_have_text(re.compile(r"Sofia Supervisor \(supervisor, 0 of 10 chats\)"))
    expect(picker.locator("option", has_text="Ana Agent")).to_have_count(0)  # not herself
    picker.select_option("sofia")
    panel.get_by_role("button", name="Transfer", exact=True).click()
    expect(panel).to_have_count(0)
    moved = sofia.locator(".agent-panel", has=sofia.locator(f".case-number:text-is('{case}')"))
    expect(moved).to_have_count(1)
    sofia.locator("#status-toggle").click()
    expect(sofia.locator("#status-toggle")).to_have_attribute("aria-pressed", "false")
    finish(moved)


def test_wrapup_counts_down_extends_once_and_saves_the_disposition(open_as):
    """After Close: the slot stays taken with a countdown; Extend adds the time once; Finish stores the fields."""
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-AL-8")
    case = case_of(chat)
    agent = console(open_as)
    panel = agent_accepts(agent, case)
    panel.locator(".disposition").select_option("resolved")
    panel.get_by_role("button", name="Close chat").click()
    left = panel.locator(".wrapup-left")
    expect(left).to_contain_text(re.compile(r"Wrap-up: 0:(1\d|20) left"))
    expect(agent.locator("#load")).to_have_text("1 of 10 chats (1 in wrap-up)")
    expect(panel.locator(".wrapup-disposition")).to_be_focused()  # focus moved to the wrap-up, not the body

    def seconds() -> int:
        minutes, secs = re.search(r"(\d+):(\d\d) left", left.inner_text()).groups()  # type: ignore[union-attr]
        return int(minutes) * 60 + int(secs)

    start = seconds()
    expect(left).not_to_contain_text(f"0:{start:02d} left", timeout=5_000)  # it counts down
    panel.get_by_role("button", name="Extend the wrap-up").click()
    expect(panel.get_by_role("button", name="Extend the wrap-up")).to_be_hidden()  # once only
    assert seconds() > 25
    panel.locator(".wrapup-disposition").select_option("follow_up")
    panel.get_by_label("Wrap-up note (optional)").fill("Call the agency back on Monday")
    panel.get_by_role("button", name="Finish wrap-up").click()
    expect(panel).to_have_count(0)
    expect(agent.locator("#load")).to_have_text("0 of 10 chats")
    supervisor = open_as("sofia", "/")
    stored = supervisor.request.get(f"/api/transcripts/{case}/").json()
    assert stored["disposition"] == "follow_up"
