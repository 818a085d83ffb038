"""Who a held chat can be handed to: available agents and supervisors with a free slot, and their load.

One function over `routing.agents_with_room` (the query routing uses, wrap-ups counted), so the
picker shows exactly who routing would consider; `handoff.check_target` re-checks at transfer time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accounts.models import User
from queueing.assignment import agents_with_room


def transfer_targets(agent: User, *, now: datetime) -> list[dict[str, Any]]:
    """Everyone but `agent` who can take one more chat now: agents, then supervisors; most free slots first."""
    rows = agents_with_room(now).exclude(pk=agent.pk).select_related("user").filter(user__is_active=True)
    targets = [
        {
            "username": row.user.username,
            "name": row.user.display_name,
            "role": row.user.role,
            "load": row.load,
            "capacity": row.cap,
            "free": row.free,
        }
        for row in rows
    ]
    return sorted(targets, key=lambda t: (t["role"] == "supervisor", -t["free"], t["name"].lower()))
