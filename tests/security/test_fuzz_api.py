"""Fuzzing the HTTP API and the agent socket: every reply is a well-formed JSON error or success.

Crashes this fuzzing found (NUL on PostgreSQL, far years, huge pages) are regression tests at the
bottom.
"""

from __future__ import annotations

import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.conftest import chat_body, connect, logged_in_client, open_chat_for

FUZZ = hsettings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
TRANSACTION_TYPES = ["add_on", "cancellation", "restaff", "authorization_edit", "reauthorization", "status_inquiry"]
AGENT_FRAME_TYPES = ["status", "accept", "accept_next", "message", "typing", "transfer", "escalate", "close", "sync"]

# What issue 19's probe sent: lone surrogates (valid JSON as "\ud800", not encodable), bidi and
# zero-width controls, NUL, and digits that are not ASCII (str.isdigit() says yes, int() may not).
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d"]
BIDI_AND_INVISIBLE = ["\u202e", "\u202d", "\u2066", "\u2067", "\u2069", "\u200e", "\u200f", "\u061c"]
BIDI_AND_INVISIBLE += ["\u200b", "\u200d", "\ufeff", "\u2060", "\u00ad"]
NON_ASCII_DIGITS = [
    "\u00b2",
    "\u0660\u0661",
    "\u06f1",
    "\u0967",
    "\uff11",
    "\U0001d7d9",
    "\u2460",
    "\u00b9\u00b2\u00b3",
]
URL_SAFE_HOSTILE = [*BIDI_AND_INVISIBLE, *NON_ASCII_DIGITS, "\x00", "\x1b"]
hostile_text = st.lists(
    st.one_of(st.text(max_size=6), st.sampled_from([*SURROGATES, *URL_SAFE_HOSTILE])), max_size=6
).map("".join)
url_hostile_text = st.lists(st.one_of(st.text(max_size=6), st.sampled_from(URL_SAFE_HOSTILE)), max_size=6).map(
    "".join
)  # a URL cannot carry a lone surrogate (it is not UTF-8); everything else it can

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30) | hostile_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
text_or_junk = st.one_of(
    st.text(max_size=120),
    hostile_text,
    st.integers(),
    st.none(),
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=3),
)
dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()), st.text(max_size=12), st.integers(), st.sampled_from(["", "1945-02-30"])
)
patients = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={"member_id": text_or_junk, "first_name": text_or_junk, "last_name": text_or_junk, "dob": dates},
    ),
)
chat_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "transaction_type": st.one_of(
                st.sampled_from([*TRANSACTION_TYPES, "new_referral", "New-Referral"]), text_or_junk
            ),
            "patient": patients,
            "location": st.one_of(st.sampled_from(["A001", "a001", "Z001", "B999"]), text_or_junk),
            "reference": text_or_junk,
            "discharge_within_24h": st.one_of(st.booleans(), text_or_junk),
            "question": text_or_junk,
            "extra": json_values,
        },
    ),
    # a valid body with one field replaced: reaches deeper rules
    st.tuples(st.sampled_from(list(chat_body())), json_values).map(lambda kv: {**chat_body(), kv[0]: kv[1]}),
)


def assert_well_formed(response, path: str) -> dict | list:
    """Not a 500; a JSON body; errors in the contract's shape."""
    assert response.status_code < 500 or response.status_code == 503, (path, response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json"), (path, response["Content-Type"])
    body = json.loads(response.content)
    if response.status_code >= 400:
        error = body.get("error") if isinstance(body, dict) else None
        assert isinstance(error, dict), (path, body)
        assert isinstance(error.get("code"), str) and error["code"], (path, body)
        assert isinstance(error.get("message"), str) and error["message"], (path, body)
    return body


@pytest.mark.django_db
@FUZZ
@given(body=chat_bodies)
def test_post_chats_body_never_500(provider, body):
    """POST /api/chats/: 201/200 with the contract's shape, or a JSON error."""
    client = logged_in_client(provider)
    client.raise_request_exception = False
    response = client.post("/api/chats/", data=json.dumps(body), content_type="application/json")
    reply = assert_well_formed(response, "/api/chats/")
    if response.status_code in (200, 201):
        assert set(reply) >= {"chat_id", "case_number", "status", "ws_url"}
        assert reply["ws_url"] == f"/ws/chat/{reply['chat_id']}/"


@pytest.mark.django_db
@FUZZ
@given(raw=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)), ctype=st.sampled_from(
    ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
))  # fmt: skip
def test_post_chats_raw_bytes_never_500(provider, raw, ctype):
    """Bodies that are not JSON at all (or any bytes under any content type) get a JSON 400/422."""
    client = logged_in_client(provider)
    client.raise_request_exception = False
    assert_well_formed(client.post("/api/chats/", data=raw, content_type=ctype), "/api/chats/")


@pytest.mark.django_db
def test_post_chats_oversized_body_is_refused(provider):
    client = logged_in_client(provider)
    body = chat_body(question="x" * 70_000)
    response = client.post("/api/chats/", data=json.dumps(body), content_type="application/json")
    assert response.status_code in (400, 413, 422)
    assert_well_formed(response, "/api/chats/")


moments = st.one_of(
    st.text(max_size=40),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["2026-03-08T02:30:00-05:00", "2026-11-01T01:30:00-04:00", "now", "+", " ", "Z"]),
)


@pytest.mark.django_db
@FUZZ
@given(at=moments)
def test_hours_at_never_500(at):
    """GET /api/hours/?at=: the contract's shape or a JSON 400."""
    response = Client(raise_request_exception=False).get("/api/hours/", {"at": at})
    body = assert_well_formed(response, "/api/hours/")
    if response.status_code == 200:
        assert set(body) == {"open", "at", "timezone", "closes_at", "next_open", "weekly", "phone", "leave_message"}


params = st.dictionaries(
    st.sampled_from(["case", "member_id", "agent", "from", "to", "page", "page_size", "purpose", "zzz"]),
    st.one_of(
        moments,
        st.integers(min_value=-(10**6), max_value=10**6).map(str),
        st.text(max_size=30),
        url_hostile_text,
        st.lists(st.sampled_from(NON_ASCII_DIGITS), min_size=1, max_size=8).map(lambda ds: "CC-" + "".join(ds)),
    ),
    max_size=5,
)


@pytest.mark.django_db
@FUZZ
@given(query=params, path=st.sampled_from(["/api/transcripts/", "/api/audit/", "/api/metrics/"]))
def test_supervisor_search_params_never_500(supervisor, query, path):
    """GET /api/transcripts/?case=&member_id=&agent=&from=&to= (and the audit and metrics ranges)."""
    client = logged_in_client(supervisor)
    client.raise_request_exception = False
    assert_well_formed(client.get(path, query), path)


agent_frames = st.one_of(
    st.text(min_size=1, max_size=100),
    json_values.map(json.dumps),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                [
                    "status",
                    "accept",
                    "accept_next",
                    "message",
                    "typing",
                    "transfer",
                    "escalate",
                    "close",
                    "sync",
                    "ping",
                ]
            )
        },
        optional={
            "chat_id": st.one_of(st.uuids().map(str), st.text(max_size=40), st.integers(), st.none()),
            "client_id": st.one_of(st.uuids().map(str), st.text(max_size=40), st.integers()),
            "text": st.one_of(st.text(max_size=60), hostile_text, st.integers(), st.none(), st.just("x" * 2001)),
            "status": st.one_of(st.sampled_from(["available", "away", "busy"]), json_values),
            "to": st.one_of(st.none(), st.text(max_size=20), hostile_text, st.integers(), st.just("sofia")),
            "disposition": st.one_of(st.sampled_from(["resolved", "other"]), json_values),
            "after": st.one_of(st.integers(), st.text(max_size=5), st.floats()),
        },
    ).map(json.dumps),
)


@pytest.mark.django_db(transaction=True)
@hsettings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(agent_frames, min_size=1, max_size=5))
async def test_agent_socket_survives_any_frames(make_user, provider, batch):
    """Any frame on /ws/agent/ gets an error frame, a result or silence; the socket then still answers."""
    agent = await sync_to_async(make_user)("agent")  # a fresh agent: refusals are throttled per user
    await sync_to_async(open_chat_for)(provider, member_id=f"F{uuid.uuid4().hex[:8]}")  # something in the queue
    socket, accepted, code = await connect(agent, "/ws/agent/")
    assert accepted and code is None
    for raw in batch:
        await socket.send(raw)
    await socket.send({"type": "ping"})
    pong = await socket.type_("pong", timeout=5)
    assert pong == {"type": "pong"}
    for frame in socket.pending:
        assert isinstance(frame.get("type"), str)
        if frame["type"] == "error":
            assert isinstance(frame.get("code"), str) and isinstance(frame.get("message"), str)
    await socket.close()


@pytest.mark.django_db
@FUZZ
@given(case=st.one_of(url_hostile_text, st.lists(st.sampled_from(NON_ASCII_DIGITS + ["0", "1"]), max_size=9).map(
    lambda ds: "CC-" + "".join(ds)
)))  # fmt: skip
def test_case_numbers_in_the_path_never_500(supervisor, case):
    """GET /api/transcripts/<case>/ with any digits: a transcript or a JSON 404, never a 500."""
    from urllib.parse import quote

    client = logged_in_client(supervisor)
    client.raise_request_exception = False
    path = f"/api/transcripts/{quote(case, safe='')}/"
    response = client.get(path)
    if response.status_code != 404 or response["Content-Type"].startswith("application/json"):
        assert_well_formed(response, path)


@pytest.mark.django_db(transaction=True)
@hsettings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(after=st.one_of(url_hostile_text, st.sampled_from(NON_ASCII_DIGITS)), text=hostile_text)
async def test_provider_socket_survives_hostile_after_and_text(make_user, after, text):
    """`?after=` in any digits opens the socket; any message text is acked or refused, and it still answers."""
    from urllib.parse import quote

    provider = await sync_to_async(make_user)("provider")
    chat = await sync_to_async(open_chat_for)(provider)
    socket, accepted, code = await connect(provider, f"{chat['ws_url']}?after={quote(after, safe='')}")
    assert accepted and code is None
    cid = await socket.message(text)
    reply = await socket.until(lambda f: f.get("client_id") == cid and f["type"] in ("ack", "error"), timeout=5)
    if reply["type"] == "error":
        assert isinstance(reply["message"], str) and reply["message"]
    await socket.send({"type": "ping"})
    await socket.type_("pong", timeout=5)
    await socket.close()


# --- crashes this fuzzing found, now regression tests -------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("at", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+14:00"])
def test_hours_at_far_years_is_a_400(at):
    """Found by this fuzzing (an OverflowError 500); fixed by bounding ?at= to 1900-2200."""
    response = Client(raise_request_exception=False).get("/api/hours/", {"at": at})
    assert response.status_code == 400
    assert_well_formed(response, "/api/hours/")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/transcripts/", "/api/audit/", "/api/metrics/"])
@pytest.mark.parametrize("query", [{"to": "9999-12-31"}, {"from": "0001-01-01T00:00:00+14:00"}])
def test_search_far_dates_are_a_400(supervisor, path, query):
    client = logged_in_client(supervisor)
    client.raise_request_exception = False
    response = client.get(path, query)
    assert response.status_code == 400
    assert_well_formed(response, path)


@pytest.mark.django_db
def test_huge_page_number_is_a_400(supervisor):
    client = logged_in_client(supervisor)
    client.raise_request_exception = False
    response = client.get("/api/transcripts/", {"page": "99999999999999999999"})
    assert response.status_code in (200, 400)
    assert_well_formed(response, "/api/transcripts/")


@pytest.mark.postgres
@pytest.mark.django_db
def test_nul_in_a_chat_request_is_a_422_on_postgresql(provider):
    """PostgreSQL text cannot hold NUL: a name, question or reference with one is refused, not a 500 (was a 500)."""
    client = logged_in_client(provider)
    client.raise_request_exception = False
    body = chat_body(member_id="M\x00NUL", question="why\x00")
    response = client.post("/api/chats/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert_well_formed(response, "/api/chats/")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
async def test_nul_in_a_message_is_a_bad_frame_on_postgresql(provider):
    """Was answered `unavailable, retry: true` (a DataError), so clients resent it forever."""
    chat = await sync_to_async(open_chat_for)(provider, member_id="M-NUL-2")
    socket, _, _ = await connect(provider, chat["ws_url"])
    await socket.message("before\x00after")
    error = await socket.type_("error", timeout=5)
    assert error["code"] == "bad_frame"
    await socket.send({"type": "ping"})
    await socket.type_("pong", timeout=5)
