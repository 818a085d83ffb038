"""Issue 19: what a hostile-but-authorized probe of a running server found, each as a regression
test through the real stack (HTTP client, the ASGI app's sockets), on PostgreSQL like every test.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async

from tests.chats.test_sockets import active_chat
from tests.conftest import chat_body, connect, logged_in_client, open_chat_for

SURROGATE = "x\ud800y"


def post_raw(user, raw: str):
    return logged_in_client(user).post("/api/chats/", data=raw.encode(), content_type="application/json")


def error_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["error"]


# --- 1. lone surrogates and other unencodable text ------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_lone_surrogate_in_a_message_is_an_error_with_its_client_id_and_the_socket_stays(provider, agent):
    """The frame is valid JSON (`\\ud800` escaped); the reply names its client_id so the client stops
    resending; nothing is stored; the same socket then sends and acks a good message."""
    chat, p, a = await active_chat(provider, agent)
    cid = str(uuid.uuid4())
    await p.send(json.dumps({"type": "message", "client_id": cid, "text": SURROGATE}))  # sent as "x\\ud800y"
    error = await p.type_("error")
    assert error["client_id"] == cid and error["code"] in ("bad_frame", "invalid_text")
    await a.send(json.dumps({"type": "message", "chat_id": chat["chat_id"], "client_id": cid, "text": "\udfff"}))
    assert (await a.type_("error"))["client_id"] == cid
    good = await p.message("still here")
    assert (await p.type_("ack", client_id=good))["seq"] >= 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/ws/agent/", "/ws/supervisor/"])
async def test_a_lone_surrogate_in_any_staff_frame_field_is_refused_and_the_socket_answers_ping(make_user, path):
    user = await sync_to_async(make_user)("supervisor")
    s, _, _ = await connect(user, path)
    await s.drain()
    await s.send(json.dumps({"type": "monitor", "chat_id": str(uuid.uuid4()), "purpose": "\ud83d"}))
    await s.send(json.dumps({"type": "status", "status": "\ud83d"}))
    await s.send({"type": "ping"})
    await s.type_("pong")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field",
    ["patient.first_name", "patient.last_name", "patient.member_id", "location", "transaction_type", "question"],
)
def test_a_lone_surrogate_in_a_chat_request_is_a_json_400(provider, field):
    body = chat_body()
    if field.startswith("patient."):
        body["patient"][field.split(".")[1]] = "SURROGATE"
    else:
        body[field] = "SURROGATE"
    response = post_raw(provider, json.dumps(body).replace('"SURROGATE"', '"x\\ud800y"'))
    assert response.status_code == 400
    assert "surrogate" in error_of(response)["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["member_id=%00", "purpose=a%00b", "agent=%01", "case=CC-1%00"])
def test_control_characters_in_a_query_string_are_a_json_400(supervisor, query):
    response = logged_in_client(supervisor).get(f"/api/transcripts/?{query}")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_text"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/transcripts/CC-1%00/", "/api/transcripts/%1b/pdf/", "/chat/%00"])
def test_control_characters_in_the_path_are_a_json_400(supervisor, path):
    """Found by the extended fuzzer: a NUL in a case number reached the access audit (a 500 on PostgreSQL)."""
    client = logged_in_client(supervisor)
    client.raise_request_exception = False
    response = client.get(path)
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_text"


def test_upload_names_have_one_check_for_the_attachments_code():
    from accounts.text import UnsafeText, check_upload_name

    assert check_upload_name("referral form.pdf") == "referral form.pdf"
    for bad in ["a\ud800.pdf", "a\x00.pdf", "invoice\u202efdp.exe", "../../etc/passwd", "a\\b.pdf", "", "x" * 201]:
        with pytest.raises(UnsafeText):
            check_upload_name(bad)


# --- 3. chat creation limits, metric keys, the discharge priority --------------------------------


@pytest.mark.django_db
def test_chat_requests_are_rate_limited_per_user(provider, settings):
    settings.CHAT_REQUESTS_PER_USER = 3
    client = logged_in_client(provider)
    codes = [
        client.post("/api/chats/", json.dumps(chat_body(member_id=f"M{i}")), content_type="application/json")
        for i in range(5)
    ]
    assert [r.status_code for r in codes] == [201, 201, 201, 429, 429]
    assert error_of(codes[3])["code"] == "rate_limited"


@pytest.mark.django_db
def test_chat_requests_are_rate_limited_per_agency(provider, make_user, settings):
    settings.CHAT_REQUESTS_PER_AGENCY = 2
    colleague = make_user("provider")  # same agency (make_user's default)
    assert (
        logged_in_client(provider)
        .post("/api/chats/", json.dumps(chat_body("M1")), content_type="application/json")
        .status_code
        == 201
    )
    assert (
        logged_in_client(colleague)
        .post("/api/chats/", json.dumps(chat_body("M2")), content_type="application/json")
        .status_code
        == 201
    )
    refused = logged_in_client(colleague).post(
        "/api/chats/", json.dumps(chat_body("M3")), content_type="application/json"
    )
    assert refused.status_code == 429 and error_of(refused)["code"] == "rate_limited"
    other = make_user("provider", agency="Elsewhere Supplies")
    assert (
        logged_in_client(other)
        .post("/api/chats/", json.dumps(chat_body("M4")), content_type="application/json")
        .status_code
        == 201
    )


@pytest.mark.django_db
def test_open_chats_per_provider_are_capped_but_the_same_patient_returns_the_open_chat(provider, settings):
    settings.CHAT_MAX_OPEN_PER_PROVIDER = 2
    first = open_chat_for(provider, member_id="M1")
    open_chat_for(provider, member_id="M2")
    again = logged_in_client(provider).post("/api/chats/", json.dumps(chat_body("m1")), content_type="application/json")
    assert again.status_code == 200 and again.json()["chat_id"] == first["chat_id"]
    third = logged_in_client(provider).post("/api/chats/", json.dumps(chat_body("M3")), content_type="application/json")
    assert third.status_code == 429 and error_of(third)["code"] == "too_many_open_chats"


@pytest.mark.django_db
def test_invented_transaction_types_share_one_metric_key(provider, supervisor):
    client = logged_in_client(provider)
    for i in range(25):
        client.post("/api/chats/", json.dumps(chat_body(ttype=f"made_up_{i}")), content_type="application/json")
    client.post("/api/chats/", json.dumps(chat_body(ttype="New-Referral")), content_type="application/json")
    metrics = logged_in_client(supervisor).get("/api/metrics/").json()
    assert set(metrics["by_transaction_type"]) == {"invalid", "new_referral"}
    assert metrics["by_transaction_type"]["invalid"]["refused"] == 25


@pytest.mark.django_db
def test_the_discharge_priority_is_on_the_record_with_who_set_it_and_when(provider, supervisor):
    chat = open_chat_for(provider, discharge_within_24h=True)
    document = logged_in_client(supervisor).get(f"/api/transcripts/{chat['case_number']}/").json()
    priority = [e for e in document["entries"] if e["text"].startswith("Priority: discharge within 24 hours")]
    assert len(priority) == 1
    assert priority[0]["sender"] == provider.display_name and priority[0]["sender_role"] == "provider"
    assert priority[0]["at"]
    plain = open_chat_for(provider, member_id="M200")
    document = logged_in_client(supervisor).get(f"/api/transcripts/{plain['case_number']}/").json()
    assert not [e for e in document["entries"] if e["text"].startswith("Priority: discharge within 24 hours")]


# --- 4. an ended chat's socket replays only its last moments, shortly after, audited --------------


async def ended_chat_with_history(provider, agent, messages: int = 5) -> dict:
    chat, p, a = await active_chat(provider, agent)
    for i in range(messages):
        cid = await p.message(f"line {i}")
        await p.type_("ack", client_id=cid)
    await a.send({"type": "close", "chat_id": chat["chat_id"], "disposition": "resolved"})
    await p.type_("ended")
    await p.close()
    await a.close()
    return chat


async def age_chat(chat_id: str, seconds: int) -> None:
    """Move the whole chat (entries and its end) `seconds` into the past."""
    from chats.models import Chat, Entry

    def shift() -> None:
        chat = Chat.objects.get(public_id=chat_id)
        delta = timedelta(seconds=seconds)
        for entry in Entry.objects.filter(chat=chat):
            Entry.objects.filter(pk=entry.pk).update(at=entry.at - delta)
        Chat.objects.filter(pk=chat.pk).update(closed_at=chat.closed_at - delta)

    await sync_to_async(shift)()


@pytest.mark.django_db(transaction=True)
async def test_an_ended_chat_does_not_replay_its_whole_transcript_to_after_0(provider, agent, settings):
    """Entries older than CHAT_ENDED_REPLAY_SECONDS before the end are not sent, whatever `after` says."""
    settings.CHAT_ENDED_REPLAY_SECONDS = 60
    chat = await ended_chat_with_history(provider, agent)
    await age_chat(chat["chat_id"], 30)  # ended 30 s ago; everything was said within the last minute

    from chats.models import Chat, Entry

    def spread() -> None:  # the first lines were said long before the end
        c = Chat.objects.get(public_id=chat["chat_id"])
        for entry in Entry.objects.filter(chat=c, seq__lte=4):
            Entry.objects.filter(pk=entry.pk).update(at=entry.at - timedelta(hours=1))

    await sync_to_async(spread)()
    s, _, _ = await connect(provider, f"{chat['ws_url']}?after=0")
    assert await s.closed_with() == 4410
    seqs = [f["seq"] for f in s.pending if f["type"] in ("message", "event")]
    assert seqs and min(seqs) > 4


@pytest.mark.django_db(transaction=True)
async def test_an_ended_chat_replays_nothing_after_the_window_and_every_open_is_audited(provider, agent, settings):
    from transcripts.models import AccessRecord

    settings.CHAT_ENDED_REPLAY_SECONDS = 60
    chat = await ended_chat_with_history(provider, agent)
    s, _, _ = await connect(provider, f"{chat['ws_url']}?after=3")  # within the window: what it missed
    assert await s.closed_with() == 4410
    seqs = [f["seq"] for f in s.pending if f["type"] in ("message", "event")]
    assert seqs and min(seqs) == 4
    await age_chat(chat["chat_id"], 61)
    late, _, _ = await connect(provider, f"{chat['ws_url']}?after=0")
    assert await late.closed_with() == 4410
    assert [f["type"] for f in late.pending] == ["chat.state", "ended"]
    records = await sync_to_async(list)(
        AccessRecord.objects.filter(user=provider, action="chat_socket", allowed=True).order_by("id")
    )
    assert [r.status for r in records] == [4410, 4410]
    assert records[0].query.startswith("after=3 replayed=") and records[1].query == "after=0 replayed=0"


# --- 8. the smaller ones ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["CC-²", "CC-٠٠٠٠٠٠٠١", "CC-１"])
def test_case_numbers_with_non_ascii_digits_are_not_found_and_never_500(supervisor, case):
    open_chat_for_supervisor_view = logged_in_client(supervisor)
    assert open_chat_for_supervisor_view.get(f"/api/transcripts/{case}/").status_code == 404
    assert open_chat_for_supervisor_view.get("/api/transcripts/", {"case": case}).status_code == 400


@pytest.mark.django_db(transaction=True)
async def test_after_with_non_ascii_digits_opens_the_socket_from_the_start(provider):
    chat = await sync_to_async(open_chat_for)(provider)
    s, accepted, code = await connect(provider, f"{chat['ws_url']}?after=%C2%B2")
    assert accepted and code is None
    assert s.pending[0]["type"] == "chat.state"


@pytest.mark.django_db
def test_member_ids_in_any_letter_case_are_one_patient(provider):
    first = open_chat_for(provider, member_id="abc123")
    second = logged_in_client(provider).post(
        "/api/chats/", json.dumps(chat_body(member_id="ABC123")), content_type="application/json"
    )
    assert second.status_code == 200 and second.json()["chat_id"] == first["chat_id"]


@pytest.mark.django_db
def test_the_one_chat_rule_is_held_by_the_database_in_any_letter_case(provider):
    """The partial unique index itself, not only the lookup: a second open row differing in case fails."""
    from django.db import IntegrityError, transaction

    from chats.models import Chat

    open_chat_for(provider, member_id="abc123")
    original = Chat.objects.get(member_id="abc123")
    copy = Chat(
        provider=provider,
        agency=original.agency,
        location=original.location,
        transaction_type=original.transaction_type,
        member_id="ABC123",
        patient_first_name="A",
        patient_last_name="B",
        patient_dob=original.patient_dob,
        requested_at=original.requested_at,
        queued_at=original.queued_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save(force_insert=True)


@pytest.mark.django_db
@pytest.mark.parametrize("char", ["\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\u061c"])
@pytest.mark.parametrize("field", ["first_name", "last_name", "member_id"])
def test_zero_width_and_bidi_controls_are_refused_in_names_and_member_ids(provider, char, field):
    body = chat_body()
    body["patient"][field] = f"Ad{char}a"
    response = logged_in_client(provider).post("/api/chats/", json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert error_of(response)["field"] == field


@pytest.mark.django_db
def test_right_to_left_text_itself_is_a_fine_name_and_question(provider):
    body = chat_body(question="هل تمت الموافقة؟")
    body["patient"]["last_name"] = "כהן"
    assert (
        logged_in_client(provider).post("/api/chats/", json.dumps(body), content_type="application/json").status_code
        == 201
    )


@pytest.mark.django_db
def test_a_3_mb_body_answers_the_json_error(provider):
    response = logged_in_client(provider).post(
        "/api/chats/", data=b'{"question": "' + b"a" * (3 * 1024 * 1024) + b'"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_request"


# --- 6. the websocket Origin check compares scheme, host and port -------------------------------


async def handshake(provider, origin: bytes, host: bytes | None, scheme: str = "ws") -> bool:
    from channels.testing import WebsocketCommunicator

    from chatserver.asgi import application

    chat = await sync_to_async(open_chat_for)(provider)
    client = await sync_to_async(logged_in_client)(provider)
    headers = [(b"origin", origin), (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
    if host is not None:
        headers.append((b"host", host))
    comm = WebsocketCommunicator(application, chat["ws_url"], headers=headers)
    comm.scope["scheme"] = scheme
    accepted, _ = await comm.connect(timeout=5)
    await comm.disconnect()
    return accepted


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin",
    [
        b"http://127.0.0.1:9999",
        b"https://127.0.0.1:8000",
        b"http://LOCALHOST:8000",
        b" http://127.0.0.1:8000",
        b"http://127.0.0.1:8000/",
        b"http://127.0.0.1",
        b"http://evil.example:8000",
    ],
)
async def test_an_origin_differing_in_scheme_host_or_port_is_refused(provider, origin):
    assert not await handshake(provider, origin, b"127.0.0.1:8000")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("origin", [b"https://localhost", b"http://127.0.0.1:1", b"http://LOCALHOST"])
async def test_without_a_host_header_only_an_allowed_host_on_the_default_port_passes(provider, origin):
    assert not await handshake(provider, origin, None)


@pytest.mark.django_db(transaction=True)
async def test_the_sockets_own_origin_and_trusted_origins_pass(provider, settings):
    assert await handshake(provider, b"http://127.0.0.1:8000", b"127.0.0.1:8000")
    assert await handshake(provider, b"https://127.0.0.1:8000", b"127.0.0.1:8000", scheme="wss")
    settings.CSRF_TRUSTED_ORIGINS = ["https://chat.example.org"]
    assert await handshake(provider, b"https://chat.example.org", b"10.0.0.5:8000")
    assert not await handshake(provider, b"https://chat.example.org:444", b"10.0.0.5:8000")


# --- 7. CSV formula guard -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["x;=1+1", "a,@SUM(A1)", "b|+1", "c\t=1", " =1", "=HYPERLINK(1)", "-1+1"])
async def test_metrics_csv_neutralises_formulas_after_a_separator(provider, supervisor, make_user, name):
    import csv
    import io

    agent = await sync_to_async(make_user)("agent", name)
    chat, p, a = await active_chat(provider, agent)
    response = await sync_to_async(lambda: logged_in_client(supervisor).get("/api/metrics/", {"format": "csv"}))()
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    keys = [row[1] for row in rows if row[0] == "agent"]
    assert keys == ["'" + name]


def test_plain_cells_stay_as_they_are():
    from transcripts.report_views import csv_cell

    assert [csv_cell(v) for v in ["ana", "status_inquiry", "O'Brien; Jr", 3, -1.5, None]] == [
        "ana",
        "status_inquiry",
        "O'Brien; Jr",
        3,
        -1.5,
        None,
    ]
