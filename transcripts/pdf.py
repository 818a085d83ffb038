"""The transcript as a PDF a person can hand to an appeals reviewer (reportlab).

Header: case, patient, agency and location, transaction type, agents, opened/closed in the
chat's local (Eastern) time, disposition and integrity. Then every entry in seq order. Footer on
every page: the chain head hash and "Page N of M". Every user-supplied string goes through
`escape` before it meets Paragraph markup, and paragraphs wrap (long words are split).
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from chats.frames import attachment_of, size_text
from chats.integrity import ChainCheck
from chats.models import (
    CONTENT_TYPE_LABELS,
    INTERNAL_KINDS,
    Attachment,
    AttachmentState,
    Chat,
    Disposition,
    Entry,
    EntryKind,
    TransactionType,
)
from transcripts.document import agents_of, check_integrity, entries_of
from transcripts.params import local_zone
from transcripts.pdf_commitments import commitment_story
from transcripts.pdf_fonts import body_fonts, with_cjk_runs

MARGIN = 0.75 * inch


def local_time(at: datetime | None) -> str:
    return at.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M:%S %Z") if at else "—"


def text(value: object) -> str:
    """User text made safe for Paragraph markup, line breaks kept."""
    return with_cjk_runs(escape(str(value)).replace("\r\n", "\n").replace("\n", "<br/>"))


def footer_canvas(head: str) -> type[Canvas]:
    """A canvas that knows the page count, so every footer can say "Page N of M"."""

    class FooterCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self.pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self.pages)
            for page in self.pages:
                self.__dict__.update(page)
                self.setFont(body_fonts()[0], 7)
                self.drawString(MARGIN, 0.5 * inch, f"Integrity (SHA-256 chain head): {head or 'none'}")
                self.drawRightString(LETTER[0] - MARGIN, 0.5 * inch, f"Page {self._pageNumber} of {total}")
                super().showPage()
            super().save()

    return FooterCanvas


def header_rows(chat: Chat, agents: list[str], check: ChainCheck) -> list[tuple[str, str]]:
    integrity = "Verified" if check.verified else f"NOT VERIFIED: the chain breaks at entry {check.broken_at_seq}"
    disposition = Disposition(chat.disposition).label if chat.disposition else "—"
    return [
        ("Case number", chat.case_number),
        (
            "Patient",
            f"{chat.patient_first_name} {chat.patient_last_name}, member {chat.member_id}, DOB {chat.patient_dob}",
        ),
        ("Agency", chat.agency.name),
        ("Location", f"{chat.location.code} {chat.location.name}".strip()),
        ("Provider", chat.provider.display_name),
        ("Transaction type", TransactionType(chat.transaction_type).label),
        ("Agents", ", ".join(agents) or "—"),
        ("Opened", local_time(chat.requested_at)),
        ("Closed", local_time(chat.closed_at)),
        ("Close reason", chat.get_close_reason_display() or "—"),
        ("Disposition", disposition),
        ("Integrity", integrity),
    ]


def attachment_line(attachment: Attachment | None, entry: Entry) -> str:
    """An attachment as printed: name, type, size, SHA-256 and whether it can be downloaded."""
    if attachment is None:
        return f"File, SHA-256 {entry.file_sha256}"
    name = attachment.name or "(name removed under the retention policy)"
    kind = CONTENT_TYPE_LABELS.get(attachment.content_type, attachment.content_type)
    state = "" if attachment.state == AttachmentState.CLEAN else f" · {attachment.get_state_display()}"
    return f"File: {name} · {kind} · {size_text(attachment.size)} · SHA-256 {attachment.sha256}{state}"


INTERNAL_LEGEND = "Entries marked INTERNAL are part of the record; the provider never saw them."
INTERNAL_LABELS = {  # how the PDF marks what the provider never saw (docs/record.md)
    EntryKind.NOTE: "INTERNAL NOTE",
    EntryKind.WHISPER: "INTERNAL: supervisor whisper to the agent",
    EntryKind.INTERNAL_EVENT: "INTERNAL",
}


def entry_flowables(entry: Entry, styles: dict[str, ParagraphStyle]) -> list[Paragraph]:
    who = entry.sender_name or "System"
    events = (EntryKind.EVENT, EntryKind.INTERNAL_EVENT)
    label = f" · {entry.event.replace('_', ' ')}" if entry.kind in events else ""
    if entry.kind in INTERNAL_KINDS:
        label = f" · {INTERNAL_LABELS[EntryKind(entry.kind)]}{label}"
    meta = f"#{entry.seq} · {local_time(entry.at)} · {who} ({entry.sender_role}){label}"
    if entry.kind == EntryKind.ATTACHMENT:
        body = text(attachment_line(attachment_of(entry), entry))
    else:
        body = text(entry.text) if entry.text else "<i>(message body removed under the retention policy)</i>"
    internal = entry.kind in INTERNAL_KINDS
    return [Paragraph(text(meta), styles["meta"]), Paragraph(body, styles["internal" if internal else "body"])]


def attachment_rows(entries: list[Entry], styles: dict[str, ParagraphStyle]) -> list[list[Paragraph]]:
    """The Attachments table: one row per file, in transcript order."""
    rows = [[Paragraph(f"<b>{h}</b>", styles["cell"]) for h in ("#", "Name", "Type", "Size", "SHA-256")]]
    for entry in entries:
        attachment = attachment_of(entry) if entry.kind == EntryKind.ATTACHMENT else None
        if attachment is None:
            continue
        name = attachment.name or "(removed under the retention policy)"
        kind = CONTENT_TYPE_LABELS.get(attachment.content_type, attachment.content_type)
        if attachment.state != AttachmentState.CLEAN:
            kind += f" ({attachment.get_state_display().lower()})"
        cells = [str(entry.seq), name, kind, size_text(attachment.size), attachment.sha256]
        rows.append([Paragraph(text(cell), styles["cell" if i != 4 else "hash"]) for i, cell in enumerate(cells)])
    return rows


def build_styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    regular, bold = body_fonts()
    body = ParagraphStyle("text", parent=base["BodyText"], fontName=regular)
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName=bold),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=bold),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11),
        "hash": ParagraphStyle("hash", parent=body, fontSize=7, leading=9, splitLongWords=1),
        "meta": ParagraphStyle("meta", parent=body, fontSize=8, textColor="#555555", spaceBefore=6),
        "body": ParagraphStyle("body", parent=body, fontSize=10, leftIndent=12, splitLongWords=1),
        "internal": ParagraphStyle(
            "internal", parent=body, fontSize=10, leftIndent=12, splitLongWords=1, backColor="#fff4d6"
        ),
    }


def render_transcript_pdf(chat: Chat) -> bytes:
    """The PDF bytes of one chat's transcript, integrity verified as it is drawn."""
    entries = entries_of(chat)
    check = check_integrity(chat, entries)
    styles = build_styles()
    rows = [
        [Paragraph(f"<b>{text(k)}</b>", styles["cell"]), Paragraph(text(v), styles["cell"])]
        for k, v in header_rows(chat, agents_of(entries), check)
    ]
    table = Table(rows, colWidths=[1.4 * inch, LETTER[0] - 2 * MARGIN - 1.4 * inch])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("GRID", (0, 0), (-1, -1), 0.25, "#999999")]))
    story: list[Any] = [Paragraph(f"Chat transcript {text(chat.case_number)}", styles["title"]), table]
    story += [Spacer(1, 12), Paragraph("Timeline", styles["h2"])]
    if any(entry.kind in INTERNAL_KINDS for entry in entries):
        story.append(Paragraph(INTERNAL_LEGEND, styles["cell"]))
    for entry in entries:
        story += entry_flowables(entry, styles)
    files = attachment_rows(entries, styles)
    if len(files) > 1:
        width = LETTER[0] - 2 * MARGIN
        widths = [0.4 * inch, width - 4.4 * inch, 1.1 * inch, 1.1 * inch, 1.8 * inch]
        listing = Table(files, colWidths=widths, repeatRows=1)
        listing.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("GRID", (0, 0), (-1, -1), 0.25, "#999999")]))
        story += [Spacer(1, 12), Paragraph("Attachments", styles["h2"]), listing]
    story += commitment_story(chat, styles, text, LETTER[0] - 2 * MARGIN)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Transcript {chat.case_number}",
        author="Care and service center",
    )
    doc.build(story, canvasmaker=footer_canvas(chat.head_hash))
    return buffer.getvalue()
