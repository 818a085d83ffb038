"""Attachments through the real HTTP stack: upload, refusals with nothing stored, audited downloads."""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from chats.attachments import attach_file
from chats.integrity import verify_chain
from chats.message_store import post_message_sync
from chats.models import Attachment, Chat, Entry
from chats.outbox import Outbox
from chats.uploads import clean_upload
from queueing.handoff import close_chat
from tests.attachment_files import (
    ELF,
    GPS_IFD,
    MAKE,
    active_chat,
    image_bytes,
    pdf_bytes,
    stored_files,
    upload,
)
from tests.conftest import logged_in_client, open_chat_for
from transcripts.models import AccessRecord

pytestmark = pytest.mark.django_db


def chain_ok(chat: Chat) -> bool:
    chat.refresh_from_db()
    return verify_chain(str(chat.public_id), chat.entries.order_by("seq"), chat.head_hash).verified


def test_provider_attaches_a_pdf_and_the_agent_downloads_it(provider, agent, attachment_root):
    """The file is an entry with its SHA-256 in the chain; the download is audited and served as an attachment."""
    chat = active_chat(provider, agent)
    data = pdf_bytes()
    response = upload(provider, chat, data, "Oxygen order.pdf")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["attachment"]["name"] == "Oxygen order.pdf" and body["attachment"]["status"] == "clean"
    assert body["attachment"]["sha256"] == hashlib.sha256(data).hexdigest()
    entry = Entry.objects.get(chat=chat, seq=body["seq"])
    assert entry.kind == "attachment" and entry.file_sha256 == hashlib.sha256(data).hexdigest()
    assert chain_ok(chat) and len(stored_files(attachment_root)) == 1

    got = logged_in_client(agent).get(body["attachment"]["url"])
    assert got.status_code == 200 and got.content == data
    assert got["Content-Type"] == "application/pdf"
    assert got["Content-Disposition"] == 'attachment; filename="Oxygen order.pdf"'
    assert got["X-Content-Type-Options"] == "nosniff"
    assert "no-cache" in got["Cache-Control"] or "no-store" in got["Cache-Control"]
    record = AccessRecord.objects.get(action="download")
    assert record.allowed and record.user == agent and record.chat == chat and record.status == 200


def test_tampering_with_the_chained_file_digest_breaks_the_chain(provider, agent):
    chat = active_chat(provider, agent)
    seq = upload(provider, chat, pdf_bytes()).json()["seq"]
    Entry.objects.filter(chat=chat, seq=seq).update(file_sha256="0" * 64)
    chat.refresh_from_db()
    check = verify_chain(str(chat.public_id), chat.entries.order_by("seq"), chat.head_hash)
    assert not check.verified and check.broken_at_seq == seq


def test_who_may_download(provider, agent, agent2, supervisor, make_user):
    """The provider, the current agent, a former agent and supervisors; nobody else, each refusal audited."""
    chat = active_chat(provider, agent)
    url = upload(agent, chat, image_bytes("PNG"), "wound.png", "image/png").json()["attachment"]["url"]
    other_provider = make_user("provider", "pete")
    for user, status in [(provider, 200), (agent, 200), (supervisor, 200), (agent2, 403), (other_provider, 403)]:
        assert logged_in_client(user).get(url).status_code == status, user.username
    assert Client().get(url).status_code == 401
    assert logged_in_client(agent).get(f"/api/attachments/{uuid.uuid4()}/").status_code == 404
    refused = AccessRecord.objects.filter(action="download", allowed=False)
    assert sorted(r.username for r in refused) == sorted(["ben", "pete", "ana"])
    # A former agent: Ana closes the chat and still may download what she served.
    close_chat(agent, chat.public_id, "resolved", now=timezone.now(), outbox=Outbox())
    assert logged_in_client(agent).get(url).status_code == 200


def test_images_are_reencoded_without_exif_or_gps(provider, agent):
    chat = active_chat(provider, agent)
    raw = image_bytes("JPEG", gps=True)
    assert Image.open(io.BytesIO(raw)).getexif().get(MAKE) == "PhoneCam"
    body = upload(provider, chat, raw, "IMG_0001.JPG", "image/jpeg").json()
    got = logged_in_client(agent).get(body["attachment"]["url"])
    image = Image.open(io.BytesIO(got.content))
    assert image.format == "JPEG" and image.size == (64, 48)
    assert not image.getexif() and GPS_IFD not in image.getexif() and b"PhoneCam" not in got.content
    assert body["attachment"]["sha256"] == hashlib.sha256(got.content).hexdigest() != hashlib.sha256(raw).hexdigest()


def test_heic_becomes_jpeg_and_tiff_stays_tiff(provider, agent):
    chat = active_chat(provider, agent)
    heic = upload(provider, chat, image_bytes("HEIF"), "IMG_0002.HEIC", "image/heic").json()["attachment"]
    assert heic["content_type"] == "image/jpeg" and heic["name"] == "IMG_0002.jpg"
    assert Image.open(io.BytesIO(logged_in_client(agent).get(heic["url"]).content)).format == "JPEG"
    tiff = upload(provider, chat, image_bytes("TIFF"), "fax.tif", "image/tiff").json()["attachment"]
    assert tiff["content_type"] == "image/tiff" and tiff["name"] == "fax.tif"


def test_the_type_comes_from_the_bytes_not_the_name_or_content_type(provider, agent):
    """A PNG sent as "order.pdf" with Content-Type application/pdf is stored and served as a PNG."""
    chat = active_chat(provider, agent)
    body = upload(provider, chat, image_bytes("PNG"), "order.pdf", "application/pdf").json()["attachment"]
    assert body["content_type"] == "image/png" and body["name"] == "order.pdf.png"
    assert logged_in_client(agent).get(body["url"])["Content-Type"] == "image/png"


def refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]


def assert_nothing_stored(chat: Chat, root, last_seq: int) -> None:
    chat.refresh_from_db()
    assert chat.last_seq == last_seq and not Attachment.objects.filter(chat=chat).exists()
    assert stored_files(root) == []


@pytest.mark.parametrize(
    ("data", "name", "status", "code"),
    [
        (ELF, "authorization.pdf", 422, "unsupported_type"),  # a renamed executable
        (b"MZ\x90\x00\x03" + b"\x00" * 300, "scan.jpg", 422, "unsupported_type"),
        (image_bytes("JPEG")[:300], "wound.jpg", 422, "corrupt_file"),  # a truncated image
        (image_bytes("PNG")[:60] + b"\x00" * 40, "wound.png", 422, "corrupt_file"),
        (b"%PDF-1.7\n1 0 obj\n", "cut.pdf", 422, "corrupt_file"),  # a PDF without its end
        (b"GIF89a" + b"\x00" * 50, "a.gif", 422, "unsupported_type"),
        (b"", "empty.pdf", 422, "empty_file"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(provider, agent, attachment_root, data, name, status, code):
    chat = active_chat(provider, agent)
    refused(upload(provider, chat, data, name), status, code)
    assert_nothing_stored(chat, attachment_root, chat.last_seq)


def raw_multipart(filename: bytes, data: bytes) -> tuple[bytes, str]:
    boundary = "----clickchat-test-boundary"
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + filename
        + b'"\r\nContent-Type: application/pdf\r\n\r\n'
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        (b"order\xff\xfe.pdf", None),  # not UTF-8: Django's parser drops the part, so it is refused
        ("r\u202egpj.pdf".encode(), "rgpj.pdf"),  # a bidi override that would show "fdp.jpg"
        (b"..\\..\\windows\\evil.pdf", "evil.pdf"),
        (b"tab\there\x07.pdf", "tabhere.pdf"),  # Django's parser drops what is not printable
        ("caf\u0065\u0301 \u200bx.pdf".encode(), "caf\u00e9 x.pdf"),
        (b"&lt;img src=x onerror=alert(1)&gt;.png", "_img src=x onerror=alert(1)_.png.pdf"),  # unescaped, then cleaned
    ],
)
def test_file_names_are_sanitised(provider, agent, filename, expected):
    chat = active_chat(provider, agent)
    body, content_type = raw_multipart(filename, pdf_bytes())
    response = logged_in_client(provider).generic(
        "POST", f"/api/chats/{chat.public_id}/attachments/", body, content_type=content_type
    )
    if expected is None:
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"
        assert not Attachment.objects.exists()
        return
    assert response.status_code == 201, response.content
    assert response.json()["attachment"]["name"] == expected


def test_decompression_bombs_are_refused(provider, agent, attachment_root, settings):
    settings.CHAT_ATTACHMENT_MAX_PIXELS = 1000
    chat = active_chat(provider, agent)
    refused(upload(provider, chat, image_bytes("PNG", size=(100, 100)), "big.png"), 422, "image_too_large")
    assert_nothing_stored(chat, attachment_root, chat.last_seq)


def test_many_pages_count_towards_the_pixel_limit(provider, agent, attachment_root, settings):
    settings.CHAT_ATTACHMENT_MAX_PIXELS = 64 * 48 * 3
    chat = active_chat(provider, agent)
    pages = [Image.new("L", (64, 48), 0) for _ in range(4)]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="TIFF", save_all=True, append_images=pages[1:])
    refused(upload(provider, chat, buffer.getvalue(), "fax.tif"), 422, "image_too_large")
    buffer = io.BytesIO()
    pages[0].save(buffer, format="TIFF", save_all=True, append_images=pages[1:3])
    stored = upload(provider, chat, buffer.getvalue(), "fax.tif").json()["attachment"]
    served = Image.open(io.BytesIO(logged_in_client(agent).get(stored["url"]).content))
    assert served.n_frames == 3  # every page of a fax is kept


def test_oversize_and_too_many_files(provider, agent, attachment_root, settings):
    settings.CHAT_MAX_ATTACHMENT_MB = 1
    settings.CHAT_MAX_ATTACHMENTS = 2
    chat = active_chat(provider, agent)
    big = pdf_bytes(b"x" * (1024 * 1024 + 1))
    refused(upload(provider, chat, big, "big.pdf"), 413, "too_large")
    huge = pdf_bytes(b"x" * (2 * 1024 * 1024))  # past the declared Content-Length check, unparsed
    refused(upload(provider, chat, huge, "huge.pdf"), 413, "too_large")
    assert_nothing_stored(chat, attachment_root, chat.last_seq)
    assert upload(provider, chat, pdf_bytes(), "1.pdf").status_code == 201
    assert upload(agent, chat, pdf_bytes(), "2.pdf").status_code == 201
    chat.refresh_from_db()
    refused(upload(provider, chat, pdf_bytes(), "3.pdf"), 422, "too_many_attachments")
    assert_nothing_stored_beyond = Attachment.objects.filter(chat=chat).count()
    assert assert_nothing_stored_beyond == 2 and len(stored_files(attachment_root)) == 2


def test_wrong_requests(provider, agent):
    chat = active_chat(provider, agent)
    client = logged_in_client(provider)
    url = f"/api/chats/{chat.public_id}/attachments/"
    refused(client.post(url, {"other": "x"}), 400, "invalid_request")
    from django.core.files.uploadedfile import SimpleUploadedFile

    two = [SimpleUploadedFile("a.pdf", pdf_bytes()), SimpleUploadedFile("b.pdf", pdf_bytes())]
    refused(client.post(url, {"file": two}), 400, "invalid_request")
    assert client.get(url).status_code == 405
    refused(Client().post(url, {"file": SimpleUploadedFile("a.pdf", pdf_bytes())}), 401, "not_logged_in")


def test_ended_waiting_and_someone_elses_chats_are_refused(provider, agent, make_user, attachment_root):
    """Ended or not yet active: 409; another provider's chat: 403 and audited; unknown: 404 and audited."""
    waiting = Chat.objects.get(public_id=open_chat_for(provider, member_id="M200")["chat_id"])
    refused(upload(provider, waiting, pdf_bytes()), 409, "chat_not_active")
    chat = active_chat(provider, agent)
    stranger = make_user("provider", "pete")
    refused(upload(stranger, chat, pdf_bytes()), 403, "forbidden")
    refused(upload(make_user("agent", "ben"), chat, pdf_bytes()), 403, "not_your_chat")
    refused(upload(stranger, str(uuid.uuid4()), pdf_bytes()), 404, "not_found")
    audited = AccessRecord.objects.filter(action="upload", allowed=False).order_by("id")
    assert [(r.username, r.status, r.chat_id) for r in audited] == [
        ("pete", 403, chat.pk),
        ("ben", 403, chat.pk),
        ("pete", 404, None),
    ]
    close_chat(agent, chat.public_id, "resolved", now=timezone.now(), outbox=Outbox())
    refused(upload(provider, chat, pdf_bytes()), 409, "chat_ended")
    refused(upload(stranger, chat, pdf_bytes()), 403, "forbidden")  # whose chat comes before its state
    assert stored_files(attachment_root) == [] and not Attachment.objects.exists()


def test_csrf_is_checked_like_the_other_post_endpoints(provider, agent):
    from django.core.files.uploadedfile import SimpleUploadedFile

    chat = active_chat(provider, agent)
    client = Client(enforce_csrf_checks=True)
    client.force_login(provider)
    client.get("/chat/")
    url = f"/api/chats/{chat.public_id}/attachments/"
    assert client.post(url, {"file": SimpleUploadedFile("a.pdf", pdf_bytes())}).status_code == 403
    token = client.cookies["csrftoken"].value
    ok = client.post(url, {"file": SimpleUploadedFile("a.pdf", pdf_bytes())}, headers={"X-CSRFToken": token})
    assert ok.status_code == 201, ok.content


def test_a_failed_transaction_leaves_no_file(provider, agent, attachment_root, monkeypatch):
    """Nothing half-stored: the file is written first and deleted when the row cannot be stored."""
    chat = active_chat(provider, agent)
    clean = clean_upload(pdf_bytes(), "a.pdf", max_pixels=10**6)

    def fail(*args, **kwargs):
        assert len(stored_files(attachment_root)) == 1  # the file is there while the row is written
        raise RuntimeError("database went away")

    monkeypatch.setattr(Attachment, "save", fail)
    with pytest.raises(RuntimeError):
        attach_file(provider, chat.public_id, clean, now=timezone.now(), outbox=Outbox(), checking=False)
    assert_nothing_stored(chat, attachment_root, chat.last_seq)


def test_a_failed_file_write_leaves_no_row(provider, agent, attachment_root, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    chat = active_chat(provider, agent)
    monkeypatch.setattr(FileSystemStorage, "_save", lambda self, name, content: (_ for _ in ()).throw(OSError("full")))
    clean = clean_upload(pdf_bytes(), "a.pdf", max_pixels=10**6)
    with pytest.raises(OSError):
        attach_file(provider, chat.public_id, clean, now=timezone.now(), outbox=Outbox(), checking=False)
    assert_nothing_stored(chat, attachment_root, chat.last_seq)


def test_an_attachment_counts_as_the_providers_activity(provider, agent):
    chat = active_chat(provider, agent)
    post_message_sync(agent, chat.public_id, uuid.uuid4(), "Please send the order", now=timezone.now(), outbox=Outbox())
    Chat.objects.filter(pk=chat.pk).update(idle_steps_done=1)
    assert upload(provider, chat, pdf_bytes()).status_code == 201
    chat.refresh_from_db()
    assert chat.idle_steps_done == 0


def test_a_supervisor_may_attach_and_non_ascii_names_download_intact(provider, agent, supervisor):
    chat = active_chat(provider, agent)
    response = upload(supervisor, chat, pdf_bytes(), "Überweisung – März.pdf")
    assert response.status_code == 201, response.content
    entry = Entry.objects.get(chat=chat, seq=response.json()["seq"])
    assert entry.sender_role == "supervisor" and entry.text == "Überweisung – März.pdf"
    got = logged_in_client(provider).get(response.json()["attachment"]["url"])
    assert got["Content-Disposition"] == "attachment; filename*=utf-8''%C3%9Cberweisung%20%E2%80%93%20M%C3%A4rz.pdf"


def test_file_names_never_reach_the_logs(provider, agent, make_user, caplog):
    """Names are PHI: uploads, refusals and downloads log none of them (at any level)."""
    import logging

    chat = active_chat(provider, agent)
    with caplog.at_level(logging.DEBUG):
        url = upload(provider, chat, pdf_bytes(), "Ada Lovelace DOB 1945-01-23.pdf").json()["attachment"]["url"]
        upload(provider, chat, ELF, "Ada Lovelace setup.pdf")
        upload(make_user("provider", "pete"), chat, pdf_bytes(), "Ada Lovelace other.pdf")
        logged_in_client(agent).get(url)
        logged_in_client(make_user("agent", "ben")).get(url)
    assert caplog.records and "Lovelace" not in caplog.text and "1945" not in caplog.text
