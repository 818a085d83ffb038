"""Attachment APIs: POST /api/chats/<chat_id>/attachments/ (multipart, field `file`) and GET /api/attachments/<id>/.

Thin views: size and shape of the request here, the bytes in chats.uploads, the rules and the
audit in transcripts.attachments. Responses carry PHI, so none may be cached.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from accounts.http import acting_user, api_login_required, json_error
from chats.attachments import attachment_storage
from chats.frames import attachment_json
from chats.models import AttachmentState
from chats.outbox import Outbox
from chats.uploads import UploadError, clean_upload
from transcripts.access import TranscriptAccessError
from transcripts.attachments import check_attachment, open_attachment, upload_attachment

MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the one file


def max_bytes() -> int:
    return settings.CHAT_MAX_ATTACHMENT_MB * 1024 * 1024


def too_large() -> JsonResponse:
    return json_error(413, "too_large", f"Files can be at most {settings.CHAT_MAX_ATTACHMENT_MB} MB.")


@csrf_exempt  # checked below by csrf_protect, once the declared size was checked (the check parses the body)
@never_cache
@require_POST
@api_login_required
def upload(request: HttpRequest, chat_id: uuid.UUID) -> HttpResponse:
    length = request.META.get("CONTENT_LENGTH") or ""
    if not length.isdigit():
        return json_error(411, "length_required", "Send the upload with a Content-Length.")
    if int(length) > max_bytes() + MULTIPART_OVERHEAD:
        return too_large()
    return checked_upload(request, chat_id)


@csrf_protect
def checked_upload(request: HttpRequest, chat_id: uuid.UUID) -> HttpResponse:
    try:
        files = request.FILES
    except RequestDataTooBig:
        return too_large()
    except (MultiPartParserError, SuspiciousOperation):
        return json_error(400, "invalid_request", "Send the file as multipart/form-data in the field 'file'.")
    if list(files.keys()) != ["file"] or len(files.getlist("file")) != 1:
        return json_error(400, "invalid_request", "Send exactly one file, in the form field 'file'.")
    sent = files.getlist("file")[0]
    if sent.size is None or sent.size > max_bytes():
        return too_large()
    try:
        clean = clean_upload(sent.read(), sent.name or "", max_pixels=settings.CHAT_ATTACHMENT_MAX_PIXELS)
    except UploadError as exc:
        return json_error(exc.status, exc.code, exc.message)
    user, outbox, ip = acting_user(request), Outbox(), request.META.get("REMOTE_ADDR")
    try:
        attachment = upload_attachment(user, chat_id, clean, now=timezone.now(), outbox=outbox, ip=ip)
    except TranscriptAccessError as exc:
        return json_error(exc.status, exc.code, exc.message)
    outbox.publish_sync()
    if attachment.state == AttachmentState.CHECKING:
        # The file is stored and shown as "being checked"; the check runs now, and this answer waits for it.
        checked = Outbox()
        attachment = check_attachment(attachment, clean.data, now=timezone.now(), outbox=checked)
        checked.publish_sync()
    body: dict = {"seq": attachment.entry.seq, "attachment": attachment_json(attachment)}
    if attachment.state == AttachmentState.REJECTED:
        body["message"] = "The file did not pass the malware check; it is kept quarantined and cannot be downloaded."
    elif attachment.state == AttachmentState.CHECKING:
        body["message"] = "The file is being checked for malware; it can be downloaded once the check passes."
    return JsonResponse(body, status=201)


@never_cache
@require_GET
@api_login_required
def download(request: HttpRequest, attachment_id: uuid.UUID) -> HttpResponse:
    try:
        attachment = open_attachment(
            acting_user(request), attachment_id, now=timezone.now(), ip=request.META.get("REMOTE_ADDR")
        )
    except TranscriptAccessError as exc:
        return json_error(exc.status, exc.code, exc.message)
    with attachment_storage().open(attachment.storage_name, "rb") as handle:
        data = handle.read()  # at most CHAT_MAX_ATTACHMENT_MB
    response = HttpResponse(data, content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(True, attachment.name) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
