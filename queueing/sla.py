"""Service-level rules for the supervisors' floor: pure functions over rows and an injected `now`.

Four rules (docs/floor.md):
- queue_wait: a waiting chat past its wait limit (per transaction type, CHAT_SLA_WAIT_SECONDS;
  a discharge-within-24h chat gets the strictest of its type's limit and `discharge_within_24h`);
- reply_wait: a provider waiting on the agent's reply past CHAT_SLA_REPLY_SECONDS, counted from
  the provider's first unanswered message (or from the offer, if the agent has not spoken yet);
- over_capacity: an agent holding more chats than their capacity (transfers and joins can do it);
- away_with_chats: an agent away or offline (consoles lost) while holding chats.
Each alert has a level (`near` from NEAR_SHARE of the limit, then `over`) and a sentence, so the
floor never says it with colour alone. Alerts name case numbers and agents, never patients.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from chats.frames.floor import FloorWaitingRow
from chats.frames.shapes import WaitingRow

Level = Literal["ok", "near", "over"]
OK: Final = "ok"
NEAR: Final = "near"
OVER: Final = "over"
LEVEL_TEXT = {OK: "Within SLA", NEAR: "Near SLA", OVER: "Over SLA"}
NEAR_SHARE = 0.75  # amber from three quarters of the limit: time to act before the breach
DISCHARGE = "discharge_within_24h"
AWAY_STATES = frozenset({"away", "offline"})


@dataclass(frozen=True)
class Limits:
    """The limits in force (settings.CHAT_SLA_WAIT_SECONDS, CHAT_SLA_REPLY_SECONDS)."""

    wait: Mapping[str, int]
    reply: int

    def wait_for(self, transaction_type: str, discharge_within_24h: bool) -> int:
        limit = self.wait.get(transaction_type, self.wait["default"])
        if discharge_within_24h:
            limit = min(limit, self.wait.get(DISCHARGE, limit))
        return limit


def level(seconds: float, limit: int) -> Level:
    if seconds >= limit:
        return OVER
    return NEAR if seconds >= NEAR_SHARE * limit else OK


def clock(seconds: float) -> str:
    whole = max(int(seconds), 0)
    return f"{whole // 60}:{whole % 60:02d}"


def with_sla(row: WaitingRow, limits: Limits) -> FloorWaitingRow:
    """A waiting-list row with its limit, level and the level in words (the floor's queue)."""
    limit = limits.wait_for(row["transaction_type"], row["priority"] == DISCHARGE)
    lvl = level(row["waiting_seconds"], limit)
    return {**row, "sla_seconds": limit, "sla": lvl, "sla_text": LEVEL_TEXT[lvl]}


def queue_alerts(waiting: Iterable[FloorWaitingRow]) -> list[dict[str, Any]]:
    """Alerts for waiting rows already passed through `with_sla`."""
    return [
        {
            "kind": "queue_wait",
            "level": row["sla"],
            "subject": row["case_number"],
            "chat_id": row["chat_id"],
            "text": f"{row['case_number']} has waited {clock(row['waiting_seconds'])} "
            f"(SLA {clock(row['sla_seconds'])}{', discharge within 24 h' if row['priority'] == DISCHARGE else ''}).",
        }
        for row in waiting
        if row["sla"] != OK
    ]


def reply_alerts(
    unanswered: Iterable[tuple[str, str, str | None, datetime]], limits: Limits, *, now: datetime
) -> list[dict[str, Any]]:
    """Alerts for active chats whose provider waits on a reply: (chat_id, case_number, agent, since)."""
    alerts = []
    for chat_id, case_number, agent, since in unanswered:
        waited = (now - since).total_seconds()
        lvl = level(waited, limits.reply)
        if lvl != OK:
            alerts.append(
                {
                    "kind": "reply_wait",
                    "level": lvl,
                    "subject": case_number,
                    "chat_id": chat_id,
                    "agent": agent,
                    "text": f"The provider on {case_number} has waited {clock(waited)} for a reply from "
                    f"{agent or 'the agent'} (SLA {clock(limits.reply)}).",
                }
            )
    return alerts


def agent_alerts(agents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Over capacity, or away/offline while holding chats: always `over` (nothing to wait for)."""
    alerts = []
    for row in agents:
        who = row["username"]
        if row["load"] > row["capacity"]:
            alerts.append(
                {
                    "kind": "over_capacity",
                    "level": OVER,
                    "subject": who,
                    "agent": who,
                    "text": f"{row['name']} holds {row['load']} chats, over their capacity of {row['capacity']}.",
                }
            )
        if row["status"] in AWAY_STATES and row["load"] > 0:
            state = "offline (console lost)" if row["status"] == "offline" else "away"
            alerts.append(
                {
                    "kind": "away_with_chats",
                    "level": OVER,
                    "subject": who,
                    "agent": who,
                    "text": f"{row['name']} is {state} with {row['load']} chat{'s' if row['load'] != 1 else ''}.",
                }
            )
    return alerts
