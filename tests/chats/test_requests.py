"""POST /api/chats/: who may ask, when, about what, and one chat per patient."""

import json
import re
from datetime import UTC, datetime

import pytest
import time_machine

from chats import requests
from chats.hours import parse_hours
from chats.models import Chat, Entry, Refusal
from tests.conftest import chat_body, logged_in_client

pytestmark = pytest.mark.django_db


def post(client, body):
    return client.post("/api/chats/", data=json.dumps(body), content_type="application/json")


def error_code(response):
    return response.json()["error"]["code"]


def test_new_chat_gets_a_case_number_and_socket_url(provider):
    """A valid request creates a waiting chat with a case number and its socket URL."""
    response = post(logged_in_client(provider), chat_body())
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "waiting" and re.fullmatch(r"CC-\d{8}", data["case_number"])
    assert data["ws_url"] == f"/ws/chat/{data['chat_id']}/"
    chat = Chat.objects.get(public_id=data["chat_id"])
    assert chat.case_number == data["case_number"] and chat.location.code == "A001"
    assert list(Entry.objects.filter(chat=chat).values_list("seq", "kind")) == [(1, "event"), (2, "message")]


def test_not_logged_in_is_401(client):
    """Anonymous requests get a JSON 401, not a login redirect."""
    response = post(client, chat_body())
    assert response.status_code == 401 and error_code(response) == "not_logged_in"


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_staff_cannot_request_chats(make_user, role):
    """Only providers chat as chatters."""
    response = post(logged_in_client(make_user(role)), chat_body())
    assert response.status_code == 403


@pytest.mark.parametrize("source", ["portal", "cigna_sms", "sms"])
def test_each_allowed_login_source_may_chat(make_user, source):
    """Providers from the portal, Cigna SMS and SMS may all chat."""
    assert post(logged_in_client(make_user("provider", source=source)), chat_body()).status_code == 201


def test_provider_with_unknown_login_source_is_refused(make_user):
    """A provider whose login source is not one of the three is refused with 403."""
    user = make_user("provider")
    user.login_source = "partner_api"
    user.save()
    assert post(logged_in_client(user), chat_body()).status_code == 403


@pytest.mark.parametrize("spelling", ["new_referral", "New Referral", "new-referral", "referral", "NEW_REFERRAL"])
def test_new_referral_is_refused_with_guidance(provider, spelling):
    """New referrals are never taken by chat; the answer says how to submit one."""
    response = post(logged_in_client(provider), chat_body(ttype=spelling))
    assert response.status_code == 422 and error_code(response) == "new_referral_not_allowed"
    message = response.json()["error"]["message"]
    assert "referral form" in message and "call the care and service center" in message
    assert not Chat.objects.exists()
    assert Refusal.objects.get().code == "new_referral_not_allowed"


@pytest.mark.parametrize(
    "ttype", ["add_on", "cancellation", "restaff", "authorization_edit", "reauthorization", "status_inquiry"]
)
def test_each_allowed_transaction_type_opens_a_chat(provider, ttype):
    """All six allowed transaction types are accepted."""
    assert post(logged_in_client(provider), chat_body(ttype=ttype)).status_code == 201


@pytest.mark.parametrize("ttype", ["", "billing", 42, None])
def test_unknown_transaction_type(provider, ttype):
    """Anything else is an invalid transaction type."""
    response = post(logged_in_client(provider), chat_body(ttype=ttype))
    assert response.status_code == 422 and error_code(response) == "invalid_transaction_type"


@pytest.mark.parametrize(
    "patient",
    [
        None,
        "M100",
        {"member_id": "", "first_name": "Ada", "last_name": "L", "dob": "1945-01-23"},
        {"member_id": "M1", "first_name": " ", "last_name": "L", "dob": "1945-01-23"},
        {"member_id": "M1", "first_name": "Ada", "last_name": "L" * 101, "dob": "1945-01-23"},
        {"member_id": "M1", "first_name": "Ada", "last_name": "L", "dob": "1945-02-30"},
        {"member_id": "M1", "first_name": "Ada", "last_name": "L", "dob": "23/01/1945"},
        {"member_id": "M1", "first_name": "Ada", "last_name": "L", "dob": "2999-01-01"},
        {"member_id": "M1", "first_name": "Ada", "last_name": "L"},
        {"member_id": 7, "first_name": "Ada", "last_name": "L", "dob": "1945-01-23"},
    ],
)
def test_invalid_patient(provider, patient):
    """Member id, names and a real past DOB are all required."""
    response = post(logged_in_client(provider), chat_body(patient=patient))
    assert response.status_code == 422 and error_code(response) == "invalid_patient"


def test_location_must_be_one_of_the_providers(provider):
    """A location the provider has no access to is refused."""
    response = post(logged_in_client(provider), chat_body(location="B999"))
    assert response.status_code == 422 and error_code(response) == "location_not_allowed"


def test_other_agencys_location_is_not_allowed(provider, make_user):
    """Another agency's location code is not the provider's, even if it exists."""
    make_user("provider", agency="Other Agency", locations=["B001"])
    response = post(logged_in_client(provider), chat_body(location="B001"))
    assert error_code(response) == "location_not_allowed"


@pytest.mark.parametrize("ttype", ["add_on", "cancellation", "restaff", "authorization_edit", "reauthorization"])
def test_inactive_z_location_allows_status_inquiries_only(provider, ttype):
    """A Z location refuses every transaction type but status inquiry."""
    client = logged_in_client(provider)
    response = post(client, chat_body(ttype=ttype, location="Z001"))
    assert response.status_code == 422 and error_code(response) == "location_inactive"
    assert post(client, chat_body(ttype="status_inquiry", location="Z001", member_id="M2")).status_code == 201


def test_status_inquiry_needs_a_reference(provider):
    """A status inquiry without an intake or authorization id is refused."""
    response = post(logged_in_client(provider), chat_body(reference=""))
    assert response.status_code == 422 and error_code(response) == "invalid_request"


@pytest.mark.parametrize("body", ["[1, 2]", "not json", '"text"'])
def test_body_must_be_a_json_object(provider, body):
    """Malformed bodies get a clear 4xx, never a 500."""
    response = logged_in_client(provider).post("/api/chats/", data=body, content_type="application/json")
    assert response.status_code in (400, 422) and "error" in response.json()


def test_same_patient_returns_the_open_chat(provider):
    """Asking again about the same member id returns the waiting chat with 200."""
    client = logged_in_client(provider)
    first = post(client, chat_body(member_id="M7"))
    again = post(client, chat_body(member_id="M7", ttype="add_on"))
    assert again.status_code == 200 and again.json()["chat_id"] == first.json()["chat_id"]
    assert Chat.objects.count() == 1


def test_a_chat_stored_by_another_writer_meanwhile_is_asked_again_not_duplicated(provider, monkeypatch):
    """The unique constraint is the backstop: a request that missed the open chat retries and finds it."""
    client = logged_in_client(provider)
    first = post(client, chat_body(member_id="M7")).json()
    real, calls = requests.check_open_chats, []

    def misses_once(who, member_id):
        calls.append(member_id)
        return None if len(calls) == 1 else real(who, member_id)

    monkeypatch.setattr(requests, "check_open_chats", misses_once)
    again = post(client, chat_body(member_id="m7", question="And the second visit?"))
    assert again.status_code == 200 and again.json()["chat_id"] == first["chat_id"] and len(calls) == 2
    assert Chat.objects.count() == 1
    assert Entry.objects.filter(chat__public_id=first["chat_id"], text="And the second visit?").exists()


@pytest.mark.django_db(transaction=True)  # commits, so the queue snapshot is read as in production
def test_a_request_is_served_in_a_bounded_number_of_queries(provider, django_assert_max_num_queries):
    """Check, open with its opening entries, route and read the queue snapshot: 17 round trips today.

    Each is ~1 ms of a request that every console waits on (bench scenario 6); a change that adds
    one should say why."""
    client = logged_in_client(provider)
    post(client, chat_body(member_id="M1"))
    with django_assert_max_num_queries(17):
        response = post(client, chat_body(member_id="M2", discharge_within_24h=True))
    assert response.status_code == 201
    assert list(Entry.objects.filter(chat__public_id=response.json()["chat_id"]).values_list("seq", "event")) == [
        (1, "requested"),
        (2, "priority_set"),
        (3, ""),
    ]


def test_another_patient_gets_a_chat_of_its_own(provider):
    """A second patient never shares a chat: a new chat and a new case number."""
    client = logged_in_client(provider)
    first, second = post(client, chat_body(member_id="M7")), post(client, chat_body(member_id="M8"))
    assert second.status_code == 201 and second.json()["case_number"] != first.json()["case_number"]


def test_after_a_chat_ends_the_same_patient_gets_a_new_chat(provider):
    """One open chat per patient: once ended, a new request opens a new chat."""
    client = logged_in_client(provider)
    first = post(client, chat_body(member_id="M7")).json()
    Chat.objects.filter(public_id=first["chat_id"]).update(status="ended")
    again = post(client, chat_body(member_id="M7"))
    assert again.status_code == 201 and again.json()["chat_id"] != first["chat_id"]


@time_machine.travel(datetime(2026, 11, 21, 15, 0, tzinfo=UTC), tick=False)  # Saturday 10:00 New York
def test_closed_hours_say_when_chat_opens_and_offer_the_phone(provider, settings):
    """Outside hours: 503 closed, next_open Monday 08:00 Eastern, and the phone alternative."""
    settings.CHAT_HOURS = parse_hours("Mon-Fri 08:00-18:00")
    response = post(logged_in_client(provider), chat_body())
    assert response.status_code == 503 and error_code(response) == "closed"
    error = response.json()["error"]
    assert error["next_open"] == "2026-11-23T08:00:00-05:00"
    assert "call the care and service center" in error["message"]
    assert not Chat.objects.exists()


def test_question_is_bounded(provider, settings):
    """A question longer than CHAT_MAX_MESSAGE_CHARS is refused."""
    settings.CHAT_MAX_MESSAGE_CHARS = 50
    response = post(logged_in_client(provider), chat_body(question="x" * 51))
    assert response.status_code == 422 and response.json()["error"]["field"] == "question"
