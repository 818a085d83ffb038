"""The upload UI on both pages (issue 17): attach, progress, plain refusals, retry, the check, downloads, axe."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.attachment_files import ELF, MARKER, image_bytes, pdf_bytes
from tests.browser.conftest import start_chat
from tests.browser.test_chat_flow import agent_accepts
from tests.browser.test_provider_page import axe_serious
from tests.browser.test_xss import PAYLOADS, assert_inert

pytestmark = pytest.mark.browser

SLOW = b"CLICKCHAT-TEST-SLOW-CHECK"  # the fake scanner takes its time over files carrying this (clean)
FAKE_SCANNER = f"""
import sys, time
data = open(sys.argv[-1], "rb").read()
if {MARKER!r} in data or {SLOW!r} in data:
    time.sleep(2)  # long enough for the page to show "being checked"
sys.exit(1 if {MARKER!r} in data else 0)
"""


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    folder = Path(tempfile.mkdtemp(prefix="attach-ui-"))
    script = folder / "scanner.py"
    script.write_text(FAKE_SCANNER)
    return {
        "CHAT_ATTACHMENT_SCANNER": f"{sys.executable} {script}",
        "CHAT_ATTACHMENT_ROOT": str(folder / "files"),
        "CHAT_MAX_ATTACHMENT_MB": "1",
        "CHAT_MAX_ATTACHMENTS": "3",
    }


def file(name: str, data: bytes, mime: str) -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


@pytest.fixture
def chatting(open_as):
    """chatting(member_id) -> the provider's page and chat panel, the agent's page and panel of the same chat.

    The agent holds at most 3 chats: each test's chat is closed after it."""
    panels = []

    def start(member_id: str):
        provider = open_as("paula", "/chat/")
        chat = start_chat(provider, member_id)
        case_number = chat.locator(".case-number").inner_text()
        agent = open_as("ana", "/agent/")
        panel = agent_accepts(agent, case_number)
        expect(chat.locator(".status-line")).to_contain_text("You are chatting with")
        panels.append(panel)
        return provider, chat, agent, panel

    yield start
    for panel in panels:
        panel.get_by_role("button", name="Close chat").click()
        expect(panel.locator(".ended")).to_be_visible()


def downloaded(page, link) -> bytes:
    with page.expect_download() as info:
        link.click()
    return Path(info.value.path()).read_bytes()


def test_a_pdf_and_a_png_reach_the_other_side_with_a_download(chatting):
    """The provider attaches a PDF, the agent a PNG: each side sees name, size and a download; a 4th file is refused."""
    provider, chat, agent, panel = chatting("M-ATT-1")
    expect(chat.get_by_role("button", name="Attach file")).to_be_visible()
    expect(chat.locator(".attach-hint")).to_contain_text("up to 1 MB")
    chat.locator(".attach-input").set_input_files(file("Oxygen order.pdf", pdf_bytes(), "application/pdf"))
    link = panel.locator(".log").get_by_role("link", name="Oxygen order.pdf")
    expect(link).to_be_visible()
    expect(panel.locator(".log li.attachment")).to_contain_text("PDF")
    assert downloaded(agent, link).startswith(b"%PDF-")
    expect(chat.locator(".log li.attachment.mine")).to_contain_text("Oxygen order.pdf")
    expect(chat.locator(".attach-announce")).to_have_text("Oxygen order.pdf was sent.")  # announced once
    expect(chat.locator(".uploads li")).to_have_count(0)

    panel.locator(".attach-input").set_input_files(file("wound.png", image_bytes("PNG"), "image/png"))
    png = chat.locator(".log").get_by_role("link", name="wound.png")
    expect(png).to_be_visible()
    expect(chat.locator(".log li.attachment.theirs")).to_contain_text("PNG image")
    assert downloaded(provider, png).startswith(b"\x89PNG")
    expect(panel.locator(".log li.attachment.mine .who")).to_have_text("You")

    dropped = provider.evaluate_handle(
        "bytes => { const dt = new DataTransfer();"
        " dt.items.add(new File([new Uint8Array(bytes)], 'dropped.jpg', {type: 'image/jpeg'})); return dt; }",
        list(image_bytes("JPEG")),
    )
    chat.locator(".composer").dispatch_event("drop", {"dataTransfer": dropped})  # drag and drop sends it too
    expect(panel.locator(".log").get_by_role("link", name="dropped.jpg")).to_be_visible()

    chat.locator(".attach-input").set_input_files(file("fourth.pdf", pdf_bytes(), "application/pdf"))
    expect(chat.locator(".uploads li.failed")).to_contain_text("This chat already holds the most files it can (3)")


def test_refusals_are_plain_and_a_cut_upload_can_be_sent_again(chatting):
    """A renamed executable and an oversize file are refused in plain words; a dropped upload offers Try again."""
    provider, chat, agent, panel = chatting("M-ATT-2")
    chat.locator(".attach-input").set_input_files(file("setup.pdf", ELF, "application/pdf"))
    failed = chat.locator(".uploads li.failed")
    expect(failed).to_contain_text("only PDF, PNG, JPEG, HEIC and TIFF files are allowed")
    expect(failed.get_by_role("button", name="Try again to send setup.pdf")).to_be_visible()
    expect(chat.locator(".attach-announce")).to_contain_text("cannot be sent")
    failed.get_by_role("button", name="Dismiss setup.pdf").click()
    expect(chat.locator(".uploads li")).to_have_count(0)
    expect(chat.get_by_role("button", name="Attach file")).to_be_focused()  # focus stays in the chat

    chat.locator(".attach-input").set_input_files(
        file("big.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10), "application/pdf")
    )
    expect(chat.locator(".uploads li.failed")).to_contain_text("is too big: files can be at most 1 MB")
    chat.locator(".uploads li.failed").get_by_role("button", name=re.compile("Dismiss")).click()

    provider.route("**/attachments/", lambda route: route.abort("connectionreset"))
    chat.locator(".attach-input").set_input_files(file("log.pdf", pdf_bytes(), "application/pdf"))
    expect(chat.locator(".uploads li.failed")).to_contain_text("nothing was stored. Try again.")
    expect(panel.locator(".log li.attachment")).to_have_count(0)
    provider.unroute("**/attachments/")
    chat.get_by_role("button", name="Try again to send log.pdf").click()
    expect(panel.locator(".log").get_by_role("link", name="log.pdf")).to_be_visible()
    expect(chat.locator(".uploads li")).to_have_count(0)
    expect(panel.locator(".log li.attachment")).to_have_count(1)  # stored once


def test_the_check_shows_being_checked_then_a_link_or_not_allowed(chatting):
    """With the fake scanner: "being checked" on both sides, then a download link, or "Not allowed" for the marker."""
    provider, chat, agent, panel = chatting("M-ATT-3")
    chat.locator(".attach-input").set_input_files(file("slow.pdf", pdf_bytes(SLOW), "application/pdf"))
    for side in (chat, panel):
        expect(side.locator(".log li.attachment[data-status=checking]")).to_contain_text("Being checked")
    expect(panel.locator(".log").get_by_role("link", name="slow.pdf")).to_be_visible()
    expect(chat.locator(".log").get_by_role("link", name="slow.pdf")).to_be_visible()

    panel.locator(".attach-input").set_input_files(file("bad.pdf", pdf_bytes(MARKER), "application/pdf"))
    item = chat.locator(".log li.attachment:has-text('bad.pdf')")
    expect(item).to_contain_text("Being checked")
    expect(item).to_contain_text("Not allowed: it did not pass the malware check")
    expect(item.get_by_role("link")).to_have_count(0)
    expect(panel.locator(".attach-announce")).to_contain_text("did not pass the malware check")
    agent.reload()  # a replay shows the state now
    again = agent.locator(".agent-panel .log li.attachment:has-text('bad.pdf')")
    expect(again).to_have_attribute("data-status", "rejected")


def test_file_names_render_as_text(chatting, problems):
    """A file name made to break out of markup shows as the characters sent, on both sides; no element, no script.

    The server already turns < > " * / into _ (docs/attachments.md); what is left (quotes, &, braces,
    template syntax) must still never be read as markup."""
    provider, chat, agent, panel = chatting("M-ATT-4")
    name = "x' onmouseover='alert(1)' & {{7+7}} ${alert(2)} <img src=x onerror=alert(3)>.pdf"
    shown = "x' onmouseover='alert(1)' & {{7+7}} ${alert(2)} _img src=x onerror=alert(3)_.pdf"
    chat.locator(".attach-input").set_input_files(file(name, pdf_bytes(), "application/pdf"))
    for side in (panel, chat):
        item = side.locator(".log li.attachment").last
        expect(item.locator(".file-link")).to_have_text(shown)
        expect(item.locator("img")).to_have_count(0)
        assert item.locator(".file-link").get_attribute("onmouseover") is None
        item.locator(".file-link").hover()
    assert problems.items == []  # no dialog opened, no page error

    # The pages' XSS corpus as file names, all at once: 2 more are stored (the chat holds 3), the
    # rest refused with their names in the refusal; inert everywhere.
    chat.locator(".attach-input").set_input_files(
        [file(f"{payload}.pdf", pdf_bytes(), "application/pdf") for payload in PAYLOADS]
    )
    expect(chat.locator(".uploads li.failed")).to_have_count(len(PAYLOADS) - 2)
    expect(panel.locator(".log li.attachment")).to_have_count(3)
    expect(chat.locator(".log li.attachment")).to_have_count(3)
    for page in (provider, agent):
        assert_inert(page)
    refused = chat.locator(".uploads li.failed .upload-name").all_inner_texts()
    assert any("<script>" in name for name in refused) or any("<img" in name for name in refused)
    assert problems.items == []


def test_the_upload_ui_has_no_serious_axe_violation(chatting):
    """Both pages with a file in the log and a refused upload showing: axe-core, nothing serious or critical."""
    provider, chat, agent, panel = chatting("M-ATT-5")
    chat.locator(".attach-input").set_input_files(file("order.pdf", pdf_bytes(), "application/pdf"))
    expect(panel.locator(".log").get_by_role("link", name="order.pdf")).to_be_visible()
    chat.locator(".attach-input").set_input_files(file("setup.pdf", ELF, "application/pdf"))
    expect(chat.locator(".uploads li.failed")).to_be_visible()
    panel.locator(".attach-input").set_input_files(file("run.exe", ELF, "application/octet-stream"))
    expect(panel.locator(".uploads li.failed")).to_be_visible()
    assert axe_serious(provider) == []
    assert axe_serious(agent) == []
