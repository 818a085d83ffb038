"""GET /api/transcripts/: supervisors search by case, member, agency, agent, type and dates."""

from datetime import UTC, datetime

import pytest

from chats.models import Chat
from tests.conftest import logged_in_client, open_chat_for
from tests.transcripts.conftest import serve
from transcripts.models import AccessRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_chats(provider, agent):
    """M1 (served by Ana, add_on), M2 and M3 (waiting), requested on three different days."""
    chats = []
    for day, (member, ttype) in enumerate([("M1", "add_on"), ("M2", "restaff"), ("M3", "restaff")], start=2):
        chat = Chat.objects.get(public_id=open_chat_for(provider, member_id=member, ttype=ttype)["chat_id"])
        Chat.objects.filter(pk=chat.pk).update(requested_at=datetime(2026, 3, day, 15, tzinfo=UTC))
        chats.append(chat)
    serve(chats[0], agent, "On it.")
    return chats


def cases(supervisor, **params) -> list[str]:
    response = logged_in_client(supervisor).get("/api/transcripts/", params)
    assert response.status_code == 200, response.content
    return [row["case_number"] for row in response.json()]


def test_newest_first_with_every_filter(three_chats, supervisor):
    """Each filter narrows the list; without filters the newest request comes first."""
    m1, m2, m3 = (c.case_number for c in three_chats)
    assert cases(supervisor) == [m3, m2, m1]
    assert cases(supervisor, case=m2.lower()) == [m2]
    assert cases(supervisor, member_id="M3") == [m3]
    assert cases(supervisor, agent="ana") == [m1]
    assert cases(supervisor, agent="nobody") == []
    assert cases(supervisor, transaction_type="restaff") == [m3, m2]
    assert cases(supervisor, agency="sunrise home health") == [m3, m2, m1]
    assert cases(supervisor, agency="Other Agency") == []
    assert cases(supervisor, **{"from": "2026-03-03", "to": "2026-03-03"}) == [m2]


def test_rows_show_what_a_supervisor_needs(three_chats, supervisor):
    """A row carries the case, patient, agency, location and agents."""
    row = logged_in_client(supervisor).get("/api/transcripts/", {"member_id": "M1"}).json()[0]
    assert row["agents"] == ["Ana Tester"] and row["agency"] == "Sunrise Home Health" and row["location"] == "A001"
    assert row["patient"]["last_name"] == "Lovelace" and row["status"] == "active"


def test_pages(three_chats, supervisor):
    """page_size 2: two rows, a next page, then the last row."""
    first = logged_in_client(supervisor).get("/api/transcripts/", {"page_size": 2})
    assert (first["X-Total-Count"], len(first.json())) == ("3", 2)
    assert first["Link"] == '</api/transcripts/?page_size=2&page=2>; rel="next"'
    second = logged_in_client(supervisor).get("/api/transcripts/", {"page_size": 2, "page": 2})
    assert len(second.json()) == 1 and not second.has_header("Link")


def test_bad_filters_get_a_sentence(supervisor):
    """Malformed filters answer 400 invalid_request saying what to send."""
    for params in ({"case": "123"}, {"from": "March"}, {"transaction_type": "new_referral"}, {"page": "0"}):
        response = logged_in_client(supervisor).get("/api/transcripts/", params)
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"


def test_agents_and_providers_cannot_search(agent, provider):
    """Search is for supervisors: 403 for anyone else, and the attempt is audited."""
    for user in (agent, provider):
        assert logged_in_client(user).get("/api/transcripts/", {"member_id": "M1"}).status_code == 403
    assert list(AccessRecord.objects.values_list("action", "allowed", "query")) == [
        ("list", False, "member_id=M1"),
        ("list", False, "member_id=M1"),
    ]
