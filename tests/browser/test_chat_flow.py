"""A provider and an agent complete a whole chat in two browsers; a supervisor finds it after."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, start_chat

pytestmark = pytest.mark.browser


def agent_accepts(agent, case_number: str):
    """The agent takes the chat from the live queue; its panel."""
    agent.get_by_role("button", name=f"Accept case {case_number}").click()
    panel = agent.locator(f".agent-panel:has(.case-number:text-is('{case_number}'))")
    expect(panel).to_be_visible()
    return panel


def test_whole_chat_provider_agent_supervisor(open_as, server):
    """Form → queue position → accept → messages both ways → close → transcript and PDF by case number."""
    provider = open_as("paula", "/chat/")
    expect(provider.locator("#hours-text")).to_contain_text("Chat is open now")
    chat = start_chat(provider, "M-FLOW-1")
    case_number = chat.locator(".case-number").inner_text()
    assert re.search(r"\d", case_number)
    expect(chat.locator(".status-line")).to_contain_text("number 1 in the queue")
    expect(chat.locator(".status-line")).to_contain_text("No agent is available yet")  # nobody working: no minutes
    expect(chat.locator(".log")).to_contain_text("Is the authorization approved?")

    agent = open_as("ana", "/agent/")
    expect(agent.locator("#queue-rows")).to_contain_text(case_number)
    panel = agent_accepts(agent, case_number)
    expect(panel.locator(".context")).to_contain_text("INT-55501")
    expect(panel.locator(".context")).to_contain_text("Is the authorization approved?")
    expect(panel.locator(".log")).to_contain_text("Is the authorization approved?")
    expect(chat.locator(".status-line")).to_contain_text("You are chatting with Ana Agent")

    panel.locator(".composer-text").fill("Hello, I am looking at case " + case_number + " now.")
    panel.locator(".composer-text").press("Enter")
    expect(chat.locator(".log li.msg.theirs")).to_contain_text("I am looking at case")
    chat.locator(".composer-text").press_sequentially("Thank")
    expect(panel.locator(".typing")).to_contain_text("typing")
    chat.locator(".composer-text").fill("Thank you! Is it approved?")
    chat.locator(".send").click()
    expect(panel.locator(".log")).to_contain_text("Thank you! Is it approved?")
    expect(chat.locator(".log li.msg.mine").last).not_to_have_class(re.compile("pending"))
    expect(chat.locator(".log li.msg time").first).to_have_text(re.compile(r"\d{1,2}:\d\d"))
    panel.locator(".composer-text").fill("Yes, it was approved this morning.")
    panel.locator(".send").click()
    expect(chat.locator(".log")).to_contain_text("approved this morning")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    provider.screenshot(path=str(SCREENSHOTS / "provider.png"), full_page=True)
    agent.screenshot(path=str(SCREENSHOTS / "agent.png"), full_page=True)

    panel.locator(".disposition").select_option("resolved")
    panel.get_by_role("button", name="Close chat").click()
    expect(chat.locator(".ended")).to_be_visible()
    expect(chat.locator(".ended")).to_contain_text("The agent closed the chat")
    expect(chat.locator(".ended")).to_contain_text(case_number)
    expect(panel.locator(".ended")).to_contain_text(case_number)

    supervisor = open_as("sofia", "/supervisor/transcripts/")
    supervisor.fill("#s-case", case_number)
    supervisor.get_by_role("button", name="Search").click()
    supervisor.locator("#results").get_by_role("link", name=case_number).click()
    expect(supervisor.locator("#transcript-entries")).to_contain_text("approved this morning")
    expect(supervisor.locator("#transcript-head")).to_contain_text(case_number)
    supervisor.screenshot(path=str(SCREENSHOTS / "supervisor.png"), full_page=True)
    with supervisor.expect_download() as download_info:
        supervisor.get_by_role("link", name="Download PDF").click()
    path = download_info.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_same_patient_brings_the_open_chat_forward(open_as):
    """A second request about the same member id selects the existing tab instead of a new chat."""
    provider = open_as("paula", "/chat/")
    first = start_chat(provider, "M-SAME-1")
    case_number = first.locator(".case-number").inner_text()
    start_chat(provider, "M-SAME-2", first="Grace", last="Hopper")
    provider.get_by_role("tab", name="New chat").click()
    again = start_chat(provider, "M-SAME-1")
    expect(again.locator(".case-number")).to_have_text(case_number)
    expect(again.locator(".log")).to_contain_text("already have a chat open about this patient")
    assert provider.locator("[role=tab]").count() == 4  # New chat, My chats + two patients
    for panel in provider.locator(".chat-panel").all():
        panel_id = panel.get_attribute("id")
        provider.locator(f"[aria-controls='{panel_id}']").click()
        panel.get_by_role("button", name="End chat").click()
        panel.get_by_role("button", name="Click again to end the chat").click()
        expect(panel.locator(".ended")).to_contain_text("You ended the chat")


def test_referral_refused_with_the_way_to_submit_one(open_as):
    """A new referral is explained on the form and refused by the API next to the field."""
    provider = open_as("paula", "/chat/")
    provider.wait_for_selector("#chat-form:not([hidden])")
    expect(provider.locator("#h-transaction_type")).to_contain_text("referral form")
    start = provider.locator("#f-transaction_type")
    start.select_option("new_referral")
    provider.fill("#f-member_id", "M-REF-1")
    provider.fill("#f-first_name", "Ada")
    provider.fill("#f-last_name", "Lovelace")
    provider.fill("#f-dob", "1945-01-23")
    provider.click("#start-chat")
    error = provider.locator("#e-transaction_type")
    expect(error).to_contain_text("New referrals cannot be made by chat")
    expect(error).to_contain_text("referral form")
    expect(start).to_have_attribute("aria-invalid", "true")
    assert provider.locator(".chat-panel").count() == 0


def test_inactive_location_allows_status_inquiry_only_and_field_errors_show(open_as):
    """Z locations restrict the type; API field errors land next to their field."""
    provider = open_as("paula", "/chat/")
    provider.wait_for_selector("#chat-form:not([hidden])")
    provider.select_option("#f-transaction_type", "add_on")
    provider.select_option("#f-location", "Z001")
    expect(provider.locator("#f-transaction_type")).to_have_value("status_inquiry")
    expect(provider.locator("#f-transaction_type option[value=add_on]")).to_be_disabled()
    provider.fill("#f-member_id", "M-ERR-1")
    provider.fill("#f-first_name", "Ada")
    provider.fill("#f-last_name", "Lovelace")
    provider.fill("#f-dob", "2999-01-01")
    provider.fill("#f-reference", "INT-1")
    provider.click("#start-chat")
    expect(provider.locator("#e-dob")).to_contain_text("past")
    expect(provider.locator("#f-dob")).to_be_focused()


def test_reconnect_loses_no_message_typed_meanwhile(open_as, server):
    """Messages typed while the socket is down are queued, sent once on reconnect, in order."""
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-RECONNECT-1")
    case_number = chat.locator(".case-number").inner_text()
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, case_number)
    expect(chat.locator(".status-line")).to_contain_text("chatting with")

    provider.context.set_offline(True)
    provider.evaluate("ClickChat.sockets.forEach(function (s) { s.drop(); })")
    expect(chat.locator(".conn")).to_contain_text("reconnecting")
    texts = [f"typed while offline {n}" for n in range(1, 4)]
    for text in texts:
        chat.locator(".composer-text").fill(text)
        chat.locator(".composer-text").press("Enter")
    expect(chat.locator(".log li.queued")).to_have_count(3)
    panel.locator(".composer-text").fill("agent wrote during the outage")
    panel.locator(".composer-text").press("Enter")
    expect(panel.locator(".log")).to_contain_text("agent wrote during the outage")
    provider.wait_for_timeout(1500)  # a few reconnect attempts fail while offline
    provider.context.set_offline(False)

    expect(chat.locator(".conn")).to_have_text("Connected", timeout=20_000)
    for text in texts:
        expect(panel.locator(".log li", has_text=text)).to_have_count(1)
    expect(chat.locator(".log li.pending")).to_have_count(0)
    expect(chat.locator(".log li", has_text="agent wrote during the outage")).to_have_count(1)
    seqs = [int(s) for s in chat.locator(".log li[data-seq]").evaluate_all("els => els.map(e => e.dataset.seq)")]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    agent_texts = panel.locator(".log li.msg .body").all_inner_texts()
    positions = [agent_texts.index(t) for t in texts]
    assert positions == sorted(positions)
    panel.locator(".disposition").select_option("resolved")
    panel.get_by_role("button", name="Close chat").click()
    expect(chat.locator(".ended")).to_be_visible()


def test_pages_fit_a_phone_viewport(open_as):
    """The three pages have no horizontal scrolling on a phone-sized screen."""
    for user, path in (("paula", "/chat/"), ("ana", "/agent/"), ("sofia", "/supervisor/metrics/")):
        page = open_as(user, path, viewport={"width": 375, "height": 740})
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (path, width)
        if user == "paula":
            page.screenshot(path=str(SCREENSHOTS / "provider-phone.png"), full_page=True)


def test_keyboard_reaches_the_form_with_visible_focus(open_as):
    """Tab moves through labelled fields and the focused one shows an outline."""
    provider = open_as("paula", "/chat/")
    provider.wait_for_selector("#chat-form:not([hidden])")
    unlabelled = provider.evaluate(
        """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
              .filter(e => !e.labels || e.labels.length === 0).map(e => e.id || e.name)"""
    )
    assert unlabelled == []
    provider.focus("#f-transaction_type")
    provider.keyboard.press("Tab")
    assert provider.evaluate("document.activeElement.id") == "f-location"
    outline = provider.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")


def test_supervisor_floor_metrics_and_audit_render(open_as):
    """The live floor fills from /ws/supervisor/, metrics draw SVG charts, the audit lists reads."""
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-FLOOR-1")
    case_number = chat.locator(".case-number").inner_text()
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, case_number)
    supervisor = open_as("sofia", "/supervisor/")
    expect(supervisor.locator("#floor-conn")).to_have_text("Live")
    expect(supervisor.locator("#floor-agents")).to_contain_text("ana")
    supervisor.get_by_role("button", name=f"Monitor case {case_number}").click()
    monitor = supervisor.locator(".monitor")
    expect(monitor).to_contain_text("Is the authorization approved?")
    panel.locator(".composer-text").fill("Checking that for you now.")
    panel.locator(".composer-text").press("Enter")
    expect(monitor).to_contain_text("Checking that for you now.")
    supervisor.screenshot(path=str(SCREENSHOTS / "supervisor-floor.png"), full_page=True)
    panel.locator(".disposition").select_option("resolved")
    panel.get_by_role("button", name="Close chat").click()
    expect(monitor).to_have_count(0)
    supervisor.goto("/supervisor/metrics/")
    expect(supervisor.locator("#chart svg.chart").first).to_be_visible()
    expect(supervisor.locator("#results")).to_contain_text("Requested")
    supervisor.screenshot(path=str(SCREENSHOTS / "supervisor-metrics.png"), full_page=True)
    supervisor.goto("/supervisor/audit/")
    supervisor.get_by_role("button", name="Show").click()
    expect(supervisor.locator("#result-status")).to_contain_text("found")
    expect(supervisor.locator("#results table")).to_contain_text("sofia")
    supervisor.screenshot(path=str(SCREENSHOTS / "supervisor-audit.png"), full_page=True)


def test_agent_console_offer_unread_canned_reply_and_back_to_queue(open_as, server):
    """Going available brings offers (title count), unread counts per tab, Alt+1 inserts a canned reply."""
    server.manage(
        "shell",
        "-c",
        "from queueing.models import CannedReply; "
        "CannedReply.objects.create(title='Greeting', text='Thanks for waiting, let me check.', shortcut='hi')",
    )
    provider = open_as("paula", "/chat/")
    first = start_chat(provider, "M-CONSOLE-1")
    first_case = first.locator(".case-number").inner_text()
    second = start_chat(provider, "M-CONSOLE-2", first="Grace", last="Hopper")
    second_case = second.locator(".case-number").inner_text()

    agent = open_as("ana", "/agent/")
    toggle = agent.locator("#status-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    agent.locator("#mute").check()
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(agent.locator("[role=tab]")).to_have_count(2)
    expect(agent).to_have_title(re.compile(r"^\(1\) Agent console"))  # the offer not in front counts in the title
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")

    agent.get_by_role("tab", name=re.compile(first_case)).click()
    provider.get_by_role("tab", name=re.compile(second_case)).click()
    second.locator(".composer-text").fill("A question about Grace")
    second.locator(".composer-text").press("Enter")
    other_tab = agent.get_by_role("tab", name=re.compile(second_case))
    expect(other_tab.locator(".badge")).to_have_text("1")

    panel = agent.locator(f".agent-panel:has(.case-number:text-is('{first_case}'))")
    panel.locator(".composer-text").press("Alt+1")
    expect(panel.locator(".composer-text")).to_have_value("Thanks for waiting, let me check.")
    panel.locator(".composer-text").fill("/hi")
    panel.locator(".composer-text").press("Tab")
    expect(panel.locator(".composer-text")).to_have_value("Thanks for waiting, let me check.")
    panel.locator(".composer-text").press("Enter")
    provider.get_by_role("tab", name=re.compile(first_case)).click()
    expect(first.locator(".log")).to_contain_text("Thanks for waiting, let me check.")

    panel.get_by_role("button", name="Back to queue").click()
    expect(agent.get_by_role("tab", name=re.compile(first_case))).to_have_count(0)
    expect(first.locator(".status-line")).to_contain_text("in the queue")
    expect(agent.locator("#queue-rows")).to_contain_text(first_case)

    other_tab.click()
    expect(other_tab.locator(".badge")).to_be_hidden()
    other = agent.locator(f".agent-panel:has(.case-number:text-is('{second_case}'))")
    other.locator(".disposition").select_option("resolved")
    other.get_by_role("button", name="Close chat").click()
    expect(second).to_have_attribute("data-ended", "agent_closed")  # in a background tab
    expect(provider.get_by_role("tab", name=re.compile(second_case)).locator(".badge")).to_be_visible()
    first.get_by_role("button", name="End chat").click()
    first.get_by_role("button", name="Click again to end the chat").click()
    expect(first.locator(".ended")).to_contain_text("You ended the chat")
