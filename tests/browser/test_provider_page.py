"""The provider page as a new user finds it (issue 17): tabs come back, asking again, plain errors, the end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, fill_chat_form, start_chat
from tests.browser.test_chat_flow import agent_accepts

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def axe_serious(page) -> list:
    """Serious and critical axe-core violations of the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(Path(AXE).read_text())  # evaluate, not a <script>: the CSP allows no inline script
    result = page.evaluate("axe.run(document)")
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def end_from_page(chat) -> None:
    chat.get_by_role("button", name="End chat").click()
    chat.get_by_role("button", name="Click again to end the chat").click()
    expect(chat.locator(".ended")).to_contain_text("You ended the chat")


def test_waiting_with_no_agent_working_says_so_instead_of_minutes(open_as):
    """Nobody signed in as agent (this test runs first): no invented estimate."""
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-PG-WAIT")
    status = chat.locator(".status-line")
    expect(status).to_contain_text("number 1 in the queue")
    expect(status).to_contain_text("No agent is available yet")
    assert "minute" not in status.inner_text()
    assert axe_serious(provider) == []  # the waiting state
    end_from_page(chat)


def test_open_chats_come_back_as_tabs_in_a_new_sign_in(open_as):
    """Two open chats; a fresh browser context (new tab, signed in again) shows both as tabs."""
    first_page = open_as("paula", "/chat/")
    cases = [
        start_chat(first_page, m, first=f).locator(".case-number").inner_text()
        for m, f in (("M-PG-TAB-1", "Ada"), ("M-PG-TAB-2", "Grace"))
    ]
    again = open_as("paula", "/chat/")
    for case in cases:
        expect(again.get_by_role("tab", name=f"· {case}", exact=False)).to_be_visible()
    expect(again.locator("#tab-new")).to_have_attribute("aria-selected", "true")
    again.get_by_role("tab", name=f"· {cases[1]}", exact=False).click()
    panel = again.locator(".chat-panel:not([hidden])")
    expect(panel.locator(".patient")).to_have_text("Grace Lovelace")
    expect(panel.locator(".log")).to_contain_text("Is the authorization approved?")  # replayed into the tab
    assert axe_serious(again) == []  # tabs, with the case numbers on unselected tabs (contrast)
    for case in cases:
        again.get_by_role("tab", name=f"· {case}", exact=False).click()
        end_from_page(again.locator(".chat-panel:not([hidden])"))


def test_asking_again_reaches_the_agent_and_another_patient_is_refused(open_as):
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-PG-AGAIN")
    case = chat.locator(".case-number").inner_text()
    agent = open_as("ana", "/agent/")
    panel = agent_accepts(agent, case)
    expect(chat.locator(".status-line")).to_contain_text("chatting with")
    start_chat(provider, "M-PG-AGAIN", ttype="add_on", question="Can we add a wound care visit?")
    expect(chat).to_be_visible()
    expect(chat.locator(".log")).to_contain_text("your question was sent to the agent")
    expect(panel.locator(".log")).to_contain_text("Can we add a wound care visit?")
    expect(panel.locator(".log")).to_contain_text("asked again about this patient: Add-on")
    expect(chat.locator(".log li.msg.mine", has_text="Can we add a wound care visit?")).to_have_count(1)

    provider.click("#tab-new")
    fill_chat_form(provider, member_id="M-PG-AGAIN", first="Someone", dob="1950-02-02")
    provider.click("#start-chat")
    error = provider.locator("#e-member_id")
    expect(error).to_contain_text("different name or date of birth")
    expect(error).to_contain_text(case)
    expect(provider.locator("#f-member_id")).to_have_attribute("aria-invalid", "true")
    expect(provider.locator("#f-member_id")).to_be_focused()
    expect(panel.locator(".log")).not_to_contain_text("Someone")
    panel.locator(".disposition").select_option("resolved")
    panel.get_by_role("button", name="Close chat").click()
    expect(chat).to_have_attribute("data-ended", "agent_closed")  # in a background tab now


def test_form_errors_show_all_at_once_in_plain_words_next_to_their_fields(open_as):
    provider = open_as("paula", "/chat/")
    provider.wait_for_selector("#chat-form:not([hidden])")
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    expect(provider.locator("#f-dob")).to_have_attribute("max", yesterday)  # no future date offered
    provider.click("#start-chat")
    expected = {
        "transaction_type": "Choose what you need help with.",
        "member_id": "Enter the patient's member id.",
        "first_name": "Enter the patient's first name.",
        "last_name": "Enter the patient's last name.",
        "dob": "Enter the patient's date of birth.",
    }
    for field, words in expected.items():
        expect(provider.locator(f"#e-{field}")).to_have_text(words)
        field_input = provider.locator(f"#f-{field}")
        expect(field_input).to_have_attribute("aria-invalid", "true")
        assert f"e-{field}" in field_input.get_attribute("aria-describedby").split()
    expect(provider.locator("#form-error")).to_contain_text("5 fields")
    expect(provider.locator("#f-transaction_type")).to_be_focused()
    for text in (" is required", "YYYY-MM-DD", "first_name", "dob "):
        assert text not in provider.locator("#chat-form").inner_text()
    assert axe_serious(provider) == []  # the form with its errors

    provider.select_option("#f-transaction_type", "status_inquiry")
    provider.fill("#f-member_id", "M-PG-ERR")
    provider.fill("#f-first_name", "Ada")
    provider.fill("#f-last_name", "Lovelace")
    provider.fill("#f-dob", "2999-01-01")
    provider.click("#start-chat")
    expect(provider.locator("#e-dob")).to_have_text("The date of birth must be in the past.")
    expect(provider.locator("#e-reference")).to_contain_text("intake id or authorization number")
    expect(provider.locator("#e-member_id")).to_be_empty()
    expect(provider.locator("#f-member_id")).not_to_have_attribute("aria-invalid", "true")

    provider.select_option("#f-transaction_type", "new_referral")
    provider.fill("#f-dob", "1945-01-23")
    provider.click("#start-chat")
    form_text = provider.locator("#chat-form").inner_text()
    assert form_text.count("New referrals cannot be made by chat") == 1, form_text
    expect(provider.locator("#e-transaction_type")).to_contain_text("referral form")
    assert provider.locator(".chat-panel").count() == 0


def test_after_the_end_no_connected_focus_kept_and_a_new_chat_about_the_patient(open_as):
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-PG-END", first="Mary", last="Seacole", dob="1940-03-04")
    expect(chat.locator(".conn")).to_have_text("Connected")
    assert axe_serious(provider) == []  # chatting (waiting for the agent)
    end_from_page(chat)
    expect(chat.locator(".conn")).to_have_text("")
    expect(chat.locator(".conn")).to_be_hidden()
    expect(chat.locator(".ended h3")).to_be_focused()  # not the page body
    assert axe_serious(provider) == []  # ended
    chat.get_by_role("button", name="Start a new chat about this patient").click()
    expect(provider.locator("#tab-new")).to_have_attribute("aria-selected", "true")
    expect(provider.locator("#f-member_id")).to_have_value("M-PG-END")
    expect(provider.locator("#f-first_name")).to_have_value("Mary")
    expect(provider.locator("#f-last_name")).to_have_value("Seacole")
    expect(provider.locator("#f-dob")).to_have_value("1940-03-04")
    expect(provider.locator("#f-transaction_type")).to_be_focused()
    provider.select_option("#f-transaction_type", "status_inquiry")
    provider.fill("#f-reference", "INT-2")
    provider.click("#start-chat")
    fresh = provider.locator(".chat-panel:not([hidden])")
    expect(fresh.locator(".case-number")).not_to_have_text(chat.locator(".case-number").inner_text())
    end_from_page(fresh)


def test_retry_now_shows_while_reconnecting_and_reconnects_at_once(open_as):
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-PG-RETRY")
    retry = chat.get_by_role("button", name="Retry now")
    expect(retry).to_be_hidden()
    provider.context.set_offline(True)
    provider.evaluate("ClickChat.sockets.forEach(function (s) { s.drop(); })")
    expect(chat.locator(".conn")).to_contain_text("reconnecting")
    expect(retry).to_be_visible()
    assert axe_serious(provider) == []  # reconnecting
    # Back online, but the next attempt still far off (what a long backoff looks like): only the button helps.
    provider.evaluate(
        """ClickChat.sockets.forEach(function (s) {
             window.removeEventListener("online", s.onOnline);
             window.clearTimeout(s.timer); s.timer = window.setTimeout(function () {}, 600000);
           })"""
    )
    provider.context.set_offline(False)
    provider.wait_for_timeout(500)
    expect(chat.locator(".conn")).to_contain_text("reconnecting")
    retry.click()
    expect(chat.locator(".conn")).to_have_text("Connected", timeout=5_000)
    expect(retry).to_be_hidden()
    end_from_page(chat)


def test_after_the_chat_was_your_question_resolved_is_asked_once_and_counted(open_as):
    """Yes/no and an optional rating inside the page; the supervisor's metrics count it beside FCR."""
    provider = open_as("paula", "/chat/")
    chat = start_chat(provider, "M-PG-CHECK")
    end_from_page(chat)
    check = chat.get_by_role("form", name="After the chat")
    check.get_by_role("button", name="Send answer").click()
    expect(check.locator(".field-error")).to_have_text("Choose yes or no.")
    assert axe_serious(provider) == []  # the check, with its error
    check.get_by_role("group", name="Was your question resolved?").get_by_label("Yes").check()
    check.get_by_label("4", exact=True).check()
    check.get_by_role("button", name="Send answer").click()
    expect(check.locator(".check-result")).to_have_text("Thank you: your answer was recorded.")
    expect(check.get_by_role("button", name="Send answer")).to_be_hidden()
    assert check.locator("textarea, input[type=text]").count() == 0  # no free text: no PHI
    supervisor = open_as("sofia", "/supervisor/")
    today = datetime.now(UTC).date()
    span = f"from={(today - timedelta(days=1)).isoformat()}&to={(today + timedelta(days=1)).isoformat()}"
    overall = supervisor.request.get(f"/api/metrics/?{span}").json()["overall"]
    assert overall["provider_checks"] >= 1 and overall["provider_rating_mean"] is not None


def test_my_chats_lists_case_patient_type_status_agent_and_filters(open_as):
    """Every chat of the provider with its case number at hand, no transcript text; filter by status and search."""
    provider = open_as("paula", "/chat/")
    open_one = start_chat(provider, "M-PG-MINE-1", first="Florence", last="Nightingale",
                          question="Secret question text")  # fmt: skip
    open_case = open_one.locator(".case-number").inner_text()
    ended = start_chat(provider, "M-PG-MINE-2", first="Clara", last="Barton")
    ended_case = ended.locator(".case-number").inner_text()
    end_from_page(ended)
    provider.get_by_role("tab", name="My chats").click()
    table = provider.locator("#mine-table")
    row = table.locator(f"tr:has-text('{open_case}')")
    expect(row).to_contain_text("Florence Nightingale (M-PG-MINE-1)")
    expect(row).to_contain_text("Status inquiry")
    expect(row).to_contain_text("Waiting for an agent")
    expect(table.locator(f"tr:has-text('{ended_case}')")).to_contain_text("Ended")
    expect(table).not_to_contain_text("Secret question text")  # FAQ 28: no transcript bodies
    assert axe_serious(provider) == []  # My chats
    provider.select_option("#mine-status", "ended")
    provider.get_by_role("button", name="Filter").click()
    expect(table.locator(f"tr:has-text('{open_case}')")).to_have_count(0)
    expect(table.locator(f"tr:has-text('{ended_case}')")).to_have_count(1)
    provider.select_option("#mine-status", "all")
    provider.fill("#mine-q", "Nightingale")
    provider.get_by_role("button", name="Filter").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(provider.locator("#mine-summary")).to_have_text("1 chat.")
    table.get_by_role("button", name=f"Open the chat of case {open_case}").click()
    expect(open_one).to_be_visible()
    end_from_page(open_one)
