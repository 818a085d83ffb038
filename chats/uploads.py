"""An uploaded file made safe to keep: its type sniffed from the bytes, images re-encoded, its name cleaned.

Pure functions (no database, no storage). The type never comes from the name or the browser's
Content-Type: PDFs by their header and trailer, images by Pillow decoding every pixel. Images
are re-encoded from their pixels alone, so EXIF (GPS, camera, time), XMP, ICC and text chunks
never leave the upload; HEIC photos (iPhones) become JPEG through pillow-heif. PDFs are kept as
sent (they cannot be re-encoded without changing the document); their metadata stays.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

pillow_heif.register_heif_opener()

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
# The stored type of each accepted format (HEIF/HEIC is stored as JPEG) and the suffix it gets.
IMAGE_TYPES = {"PNG": PNG, "JPEG": JPEG, "MPO": JPEG, "TIFF": TIFF, "HEIF": JPEG}
SUFFIXES = {PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg"), TIFF: (".tif", ".tiff")}
MAX_NAME_CHARS = 120
DEFAULT_NAME = "attachment"
# Bidirectional overrides and isolates (a name like "gpj.exe" shown reversed), and marks.
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
SEPARATORS = set('/\\:*?"<>|')  # path separators and the characters Windows refuses in a name
UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


class UploadError(Exception):
    """The file cannot be accepted; `code` and `message` go to the client as is (no file name in them)."""

    def __init__(self, code: str, message: str, status: int = 422):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class CleanFile:
    data: bytes
    content_type: str
    name: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def clean_upload(raw: bytes, name: str, *, max_pixels: int) -> CleanFile:
    """The file as it will be stored, or UploadError (unsupported type, corrupt, too many pixels, bad name)."""
    cleaned_name = clean_name(name)
    if not raw:
        raise UploadError("empty_file", "The file is empty.")
    if raw.startswith(b"%PDF-"):
        data, content_type = check_pdf(raw), PDF
    else:
        data, content_type = reencode_image(raw, max_pixels=max_pixels)
    return CleanFile(
        data=data,
        content_type=content_type,
        name=with_suffix(cleaned_name, content_type),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def check_pdf(raw: bytes) -> bytes:
    """A PDF starts with %PDF-1.x/2.x and ends with %%EOF (allowing trailing whitespace/garbage)."""
    if raw[5:8] not in (b"1.0", b"1.1", b"1.2", b"1.3", b"1.4", b"1.5", b"1.6", b"1.7", b"2.0"):
        raise UploadError("corrupt_file", "The PDF could not be read (its header is damaged).")
    if b"%%EOF" not in raw[-1024:]:
        raise UploadError("corrupt_file", "The PDF is incomplete or damaged (it has no end marker).")
    return raw


def reencode_image(raw: bytes, *, max_pixels: int) -> tuple[bytes, str]:
    """Decode an image fully and write its pixels again in a fresh file; the bytes and stored type."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            fmt = image.format or ""
            if fmt not in IMAGE_TYPES:
                raise UploadError(
                    "unsupported_type", "Only PDF, PNG, JPEG, HEIC and TIFF files can be attached."
                ) from None
            frames, pixels = [], 0
            for frame in ImageSequence.Iterator(image):
                pixels += frame.width * frame.height  # all pages together: a 1,000-page TIFF is a bomb too
                if pixels > max_pixels:
                    raise UploadError("image_too_large", "The image has too many pixels to be processed.")
                frames.append(pixels_only(frame, fmt))
    except UploadError:
        raise
    except UnidentifiedImageError:
        raise UploadError("unsupported_type", "Only PDF, PNG, JPEG, HEIC and TIFF files can be attached.") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError("image_too_large", "The image has too many pixels to be processed.") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError):
        raise UploadError("corrupt_file", "The image could not be read (it is damaged or incomplete).") from None
    content_type = IMAGE_TYPES[fmt]
    out = io.BytesIO()
    if content_type == TIFF:
        frames[0].save(out, format="TIFF", compression="tiff_lzw", save_all=True, append_images=frames[1:])
    elif content_type == PNG:
        frames[0].save(out, format="PNG", optimize=False)
    else:
        frames[0].save(out, format="JPEG", quality=90)
    return out.getvalue(), content_type


def pixels_only(frame: Image.Image, fmt: str) -> Image.Image:
    """One decoded frame as a new image with no metadata: upright (EXIF orientation applied), then bare."""
    upright = ImageOps.exif_transpose(frame) or frame
    upright.load()
    mode = upright.mode
    if IMAGE_TYPES[fmt] == JPEG and mode not in ("RGB", "L", "CMYK"):
        mode = "RGB"  # JPEG has no alpha or palette (e.g. a HEIC with transparency)
    elif fmt == "PNG" and mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        mode = "RGBA"
    elif fmt == "TIFF" and mode not in ("1", "L", "P", "RGB", "RGBA", "CMYK", "I;16"):
        mode = "RGB"
    bare = upright.convert(mode) if mode != upright.mode else upright.copy()
    palette = bare.getpalette() if bare.mode == "P" else None
    clean = Image.frombytes(bare.mode, bare.size, bare.tobytes())  # pixels only: no info, no EXIF
    if palette is not None:
        clean.putpalette(palette)
    return clean


def clean_name(name: str) -> str:
    """A file name safe to store and show, or UploadError for text that cannot be encoded.

    Control, format and bidirectional characters and path separators become '_'; leading dots
    and spaces go (no hidden files, no '..'); long names keep their suffix.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise UploadError("invalid_name", "The file name contains characters that cannot be stored.") from None
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # a browser's full path: keep the last part
    chars = ["_" if unsafe_char(c) else c for c in name]
    cleaned = " ".join("".join(chars).split()).lstrip(". ").rstrip(". ")
    if len(cleaned) > MAX_NAME_CHARS:
        stem, dot, suffix = cleaned.rpartition(".")
        if dot and 0 < len(suffix) <= 10:
            cleaned = stem[: MAX_NAME_CHARS - len(suffix) - 1].rstrip() + "." + suffix
        else:
            cleaned = cleaned[:MAX_NAME_CHARS].rstrip()
    return cleaned or DEFAULT_NAME


def unsafe_char(c: str) -> bool:
    """Controls, format characters (bidi, zero-width), unassigned or private code points, line breaks, separators."""
    return c in BIDI or c in SEPARATORS or unicodedata.category(c) in UNSAFE_CATEGORIES


def with_suffix(name: str, content_type: str) -> str:
    """The name ending in its stored type's suffix: photo.heic → photo.jpg, report.exe (a PDF) → report.exe.pdf."""
    suffixes = SUFFIXES[content_type]
    lower = name.lower()
    if lower.endswith(suffixes):
        return name
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and suffix.lower() in ("heic", "heif", "jpe", "jfif"):
        name = stem
    return name[: MAX_NAME_CHARS - len(suffixes[0])] + suffixes[0]
