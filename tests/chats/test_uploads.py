"""chats.uploads: names cleaned, suffixes following the stored type (pure, no database)."""

import pytest

from chats.uploads import UploadError, clean_name, with_suffix


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Oxygen log.pdf", "Oxygen log.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\order.pdf", "order.pdf"),
        ("r\u202egpj.exe", "r_gpj.exe"),  # right-to-left override
        ("a\u2066b\u2069.pdf", "a_b_.pdf"),
        ("line\r\nbreak\x00.pdf", "line__break_.pdf"),
        ("zero\u200bwidth.pdf", "zero_width.pdf"),
        ('q"uote<>|*?.pdf', "q_uote_____.pdf"),
        ("   ", "attachment"),
        ("...", "attachment"),
        (".hidden.pdf", "hidden.pdf"),
        ("cafe\u0301.pdf", "caf\u00e9.pdf"),  # NFC
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


def test_unencodable_names_are_refused():
    with pytest.raises(UploadError) as refused:
        clean_name("bad\udcff.pdf")
    assert refused.value.code == "invalid_name"


@pytest.mark.parametrize(
    ("name", "content_type", "result"),
    [
        ("IMG_1.HEIC", "image/jpeg", "IMG_1.jpg"),
        ("photo.JPEG", "image/jpeg", "photo.JPEG"),
        ("setup.exe", "application/pdf", "setup.exe.pdf"),
        ("scan.tiff", "image/tiff", "scan.tiff"),
        ("wound", "image/png", "wound.png"),
    ],
)
def test_the_suffix_follows_the_stored_type(name, content_type, result):
    assert with_suffix(name, content_type) == result
