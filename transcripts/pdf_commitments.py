"""The PDF's "Commitments" table: each escalation commitment, its contact and whether it is done."""

from __future__ import annotations

from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from chats.commitments import commitments_of, service_zone
from chats.due_times import due_text
from chats.models import Chat, Commitment

HEADINGS = ("Resolve by", "Escalation contact", "Recorded by", "Status")


def status_text(commitment: Commitment) -> str:
    if commitment.done_at is None:
        return "Open"
    return f"Done {due_text(commitment.done_at, service_zone())} by {commitment.done_by_name}"


def commitment_story(chat: Chat, styles: dict[str, ParagraphStyle], text: Any, width: float) -> list[Any]:
    """Flowables for the chat's commitments (nothing when it has none); `text` escapes for markup."""
    commitments = commitments_of(chat)
    if not commitments:
        return []
    rows = [[Paragraph(f"<b>{h}</b>", styles["cell"]) for h in HEADINGS]]
    for c in commitments:
        cells = [
            due_text(c.due_at, service_zone()),
            f"{c.contact_name}, {c.contact_line}",
            f"{c.recorded_by_name}, {due_text(c.recorded_at, service_zone())} ({c.get_occasion_display().lower()})",
            status_text(c),
        ]
        rows.append([Paragraph(text(cell), styles["cell"]) for cell in cells])
    table = Table(rows, colWidths=[1.7 * inch, 1.8 * inch, width - 5.0 * inch, 1.5 * inch], repeatRows=1)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("GRID", (0, 0), (-1, -1), 0.25, "#999999")]))
    return [Spacer(1, 12), Paragraph("Commitments", styles["h2"]), table]
