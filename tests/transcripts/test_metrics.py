"""GET /api/metrics/: figures on a hand-worked fixture of chats (2026-03-02, EST = UTC-5).

The fixture, times in UTC (wait = requested -> first accepted; handle = first accepted -> closed):
  A add_on     ana  14:00  wait  30  handle 300  resolved, no transfer      (first-contact resolution)
  B add_on     ana  14:10  wait  90  handle 600  unresolved
  C restaff    ben  14:20  wait  60  handle 900  resolved after 1 transfer
  D restaff    ben  14:30  wait 120  handle 600  idle timeout after 2 idle warnings
  E status_inq  -   14:40  ended by the provider while waiting             (abandoned)
  F status_inq ana  Mar 3 04:30 UTC = Mar 2 23:30 EST, wait 20, still active (in the Eastern day)
  G add_on      -   Mar 3 15:00 UTC: another day, excluded
Refusals: new_referral 15:00 and add_on (closed) 13:00 are in; one at Mar 2 04:00 UTC (Mar 1 EST) is out.
Overall waits [20, 30, 60, 90, 120]: p50 = 3rd = 60, p90 = 5th = 120 (nearest rank).
Overall handles [300, 600, 600, 900]: p50 = 2nd = 600, mean 600. FCR: A of A-D = 0.25.
"""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from chats.models import Chat, Entry, Refusal
from tests.conftest import logged_in_client
from transcripts.metrics import percentile

pytestmark = pytest.mark.django_db

DAY = {"from": "2026-03-02", "to": "2026-03-02"}


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def make_chat(provider, ttype, requested, *, agent=None, wait=None, handle=None, **fields) -> Chat:
    accepted = requested + timedelta(seconds=wait) if wait is not None else None
    closed = accepted + timedelta(seconds=handle) if handle is not None else fields.pop("closed_at", None)
    return Chat.objects.create(
        provider=provider,
        agency=provider.agency,
        location=provider.locations.first(),
        transaction_type=ttype,
        member_id=f"M{requested:%d%H%M}",
        patient_first_name="Ada",
        patient_last_name="Lovelace",
        patient_dob=datetime(1945, 1, 23, tzinfo=UTC).date(),
        requested_at=requested,
        queued_at=requested,
        agent=agent,
        first_accepted_at=accepted,
        closed_at=closed,
        status=fields.pop("status", "ended"),
        **fields,
    )


def idle_warning(chat: Chat, seq: int) -> None:
    Entry.objects.create(
        chat=chat, seq=seq, kind="event", event="idle_warning", sender_role="system", text="Inactivity warning",
        text_sha256="0" * 64, at=chat.first_accepted_at + timedelta(seconds=300 * seq), hash=f"{seq:064d}",
    )  # fmt: skip


@pytest.fixture
def floor(provider, agent, agent2):
    """The chats A-G and refusals of the module docstring."""
    make_chat(provider, "add_on", at(14), agent=agent, wait=30, handle=300, disposition="resolved",
              close_reason="agent_closed")  # fmt: skip
    make_chat(provider, "add_on", at(14, 10), agent=agent, wait=90, handle=600, disposition="unresolved",
              close_reason="agent_closed")  # fmt: skip
    make_chat(provider, "restaff", at(14, 20), agent=agent2, wait=60, handle=900, disposition="resolved",
              close_reason="agent_closed", transfer_count=1)  # fmt: skip
    d = make_chat(provider, "restaff", at(14, 30), agent=agent2, wait=120, handle=600, close_reason="idle_timeout")
    idle_warning(d, 1)
    idle_warning(d, 2)
    make_chat(provider, "status_inquiry", at(14, 40), close_reason="chatter_ended", closed_at=at(14, 41))
    make_chat(provider, "status_inquiry", at(4, 30, day=3), agent=agent, wait=20, status="active")
    make_chat(provider, "add_on", at(15, day=3), status="waiting")
    Refusal.objects.create(code="new_referral_not_allowed", transaction_type="new_referral", at=at(15))
    Refusal.objects.create(code="closed", transaction_type="add_on", at=at(13))
    Refusal.objects.create(code="closed", transaction_type="add_on", at=at(4))


def figures(requested, answered, abandoned, refused, w50, w90, h50, hmean, fcr, warnings, timeouts, transfers,
            checks=0, resolved_rate=None, rating_mean=None, wrapup=None):  # fmt: skip
    return {
        "requested": requested, "answered": answered, "abandoned": abandoned, "refused": refused,
        "wait_p50_seconds": w50, "wait_p90_seconds": w90, "handle_p50_seconds": h50, "handle_mean_seconds": hmean,
        "fcr_rate": fcr, "provider_checks": checks, "provider_resolved_rate": resolved_rate,
        "provider_rating_mean": rating_mean, "idle_warnings": warnings, "idle_timeouts": timeouts,
        "transfers": transfers, "wrapup_mean_seconds": wrapup,
    }  # fmt: skip


def get_metrics(user, **params):
    return logged_in_client(user).get("/api/metrics/", {**DAY, **params})


def test_overall_figures(floor, supervisor):
    """The whole Eastern day, worked out by hand in the module docstring."""
    body = get_metrics(supervisor).json()
    assert body["overall"] == figures(6, 5, 1, 2, 60, 120, 600, 600.0, 0.25, 2, 1, 1)
    assert body["refused_by_reason"] == {"closed": 1, "new_referral_not_allowed": 1}
    assert body["from"] == "2026-03-02T00:00:00-05:00" and body["to"] == "2026-03-03T00:00:00-05:00"


def test_figures_by_agent(floor, supervisor):
    """Ana: A, B, F (waits 20/30/90, handles 300/600); Ben: C, D (waits 60/120, handles 900/600)."""
    by_agent = get_metrics(supervisor).json()["by_agent"]
    assert by_agent == {
        "ana": figures(3, 3, 0, None, 30, 90, 300, 450.0, 0.5, 0, 0, 0),
        "ben": figures(2, 2, 0, None, 60, 120, 600, 750.0, 0.0, 2, 1, 1),
    }


def test_figures_by_transaction_type(floor, supervisor):
    """Refusal-only types (new referral) get a row; a type with nothing closed has no handle or FCR."""
    by_type = get_metrics(supervisor).json()["by_transaction_type"]
    assert by_type == {
        "add_on": figures(2, 2, 0, 1, 30, 90, 300, 450.0, 0.5, 0, 0, 0),
        "new_referral": figures(0, 0, 0, 1, None, None, None, None, None, 0, 0, 0),
        "restaff": figures(2, 2, 0, 0, 60, 120, 600, 750.0, 0.0, 2, 1, 1),
        "status_inquiry": figures(2, 1, 1, 0, 20, 20, None, None, None, 0, 0, 0),
    }


def test_csv_has_one_row_per_group(floor, supervisor):
    """format=csv: a header, then overall, agents and transaction types, blanks for no value."""
    response = get_metrics(supervisor, format="csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["scope", "key", "requested", "answered"]
    assert rows[1] == [
        "overall",
        "",
        "6",
        "5",
        "1",
        "2",
        "60.0",
        "120.0",
        "600.0",
        "600.0",
        "0.25",
        "2",
        "1",
        "1",
        "0",
        "",
        "",
        "",  # wrapup_mean_seconds: none of these chats had a wrap-up
    ]
    assert [row[:2] for row in rows[2:]] == [
        ["agent", "ana"], ["agent", "ben"], ["transaction_type", "add_on"], ["transaction_type", "new_referral"],
        ["transaction_type", "restaff"], ["transaction_type", "status_inquiry"],
    ]  # fmt: skip
    assert rows[-1][6:10] == ["20.0", "20.0", "", ""]


def test_a_narrower_range_counts_less(floor, supervisor):
    """14:00-14:15 UTC holds only A and B."""
    body = get_metrics(supervisor, **{"from": "2026-03-02T14:00:00Z", "to": "2026-03-02T14:15:00Z"}).json()
    assert body["overall"]["requested"] == 2 and body["overall"]["refused"] == 0


def test_metrics_are_for_supervisors(agent):
    """Agents see no metrics: 403."""
    assert get_metrics(agent).status_code == 403


def test_bad_parameters(supervisor):
    """format=xml and a reversed range are refused with a sentence."""
    assert get_metrics(supervisor, format="xml").json()["error"]["code"] == "invalid_request"
    assert get_metrics(supervisor, **{"from": "2026-03-05", "to": "2026-03-01"}).status_code == 400


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [([], 50, None), ([7], 90, 7), ([1, 2], 50, 1), ([1, 2, 3, 4], 50, 2), ([5, 1, 4, 2, 3], 90, 5)],
)
def test_nearest_rank_percentile(values, p, expected):
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    assert percentile(values, p) == expected


def test_by_hour_series_for_the_days_chart(floor, supervisor):
    """24 Eastern hours; 09:00 EST (14:00 UTC) had 5 requests, by type, and the waits; 09:40 E waited."""
    body = logged_in_client(supervisor).get("/api/metrics/", DAY).json()
    hours = body["by_hour"]
    assert len(hours) == 24 and hours[0]["hour"] == "2026-03-02T00:00:00-05:00"
    nine = hours[9]
    assert nine["requested"] == 5
    assert nine["requested_by_type"] == {"add_on": 2, "restaff": 2, "status_inquiry": 1}
    assert (nine["wait_p50_minutes"], nine["wait_p90_minutes"]) == (1.0, 2.0)  # waits 30, 60, 90, 120 s
    assert [h["waiting"] for h in hours[9:11]] == [1, 0]  # A was requested at 09:00:00 sharp, accepted at :30
    assert hours[23]["requested"] == 1 and hours[23]["requested_by_type"]["status_inquiry"] == 1
