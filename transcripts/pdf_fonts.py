"""Fonts for transcript PDFs: patients' and agents' names are not all in Windows-1252.

reportlab's standard Helvetica covers Windows-1252 only, so "Nguyễn" or "王小明" would print as
boxes. DejaVu Sans (Debian's fonts-dejavu-core) is embedded for Latin, Vietnamese, Greek and
Cyrillic; runs of CJK characters switch to WenQuanYi Micro Hei (fonts-wqy-microhei), embedded
too. scripts/services.sh installs both. Without them the PDF still builds: Helvetica, and
reportlab's built-in STSong-Light CID font for CJK (its text extracts, but viewers without an
Asian font pack draw boxes).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
CJK_RUN = re.compile(r"[\u2e80-\u303f\u3040-\u30ff\u3100-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+")


@cache
def cjk_font() -> str:
    try:
        pdfmetrics.registerFont(TTFont("TranscriptCJK", WQY, subfontIndex=0))
        return "TranscriptCJK"
    except (OSError, TTFError):
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        return "STSong-Light"


@cache
def body_fonts() -> tuple[str, str]:
    """(regular, bold) font names, registered once per process."""
    try:
        pdfmetrics.registerFont(TTFont("TranscriptSans", DEJAVU / "DejaVuSans.ttf"))
        pdfmetrics.registerFont(TTFont("TranscriptSans-Bold", DEJAVU / "DejaVuSans-Bold.ttf"))
    except (OSError, TTFError):
        return "Helvetica", "Helvetica-Bold"
    for italic in (0, 1):  # <i> has no DejaVu italic registered: keep the upright face
        addMapping("TranscriptSans", 0, italic, "TranscriptSans")
        addMapping("TranscriptSans", 1, italic, "TranscriptSans-Bold")
    return "TranscriptSans", "TranscriptSans-Bold"


def with_cjk_runs(markup: str) -> str:
    """Wrap runs of CJK characters of already-escaped text in the CJK font."""
    return CJK_RUN.sub(lambda run: f'<font name="{cjk_font()}">{run.group(0)}</font>', markup)
