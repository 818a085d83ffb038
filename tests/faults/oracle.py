"""The oracle: per chat, what senders saw acked vs what PostgreSQL holds vs what each participant
finally rendered after its last resume.

- lost: a client_id acked to its sender but missing from the database (or stored under another
  seq), or missing from a participant's final rendering;
- duplicate: one client_id stored twice or rendered twice, one seq rendered twice, or one
  client_id acked with two different seqs;
- disorder: a participant's rendering not in strictly increasing seq order, or with a hole;
- incomplete: a participant's final rendering differs from the database's seqs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from tests.faults.client import ResilientClient
from tests.faults.harness import PgDatabase


@dataclass
class Verdict:
    chats: int = 0
    stored_messages: int = 0
    stored_entries: int = 0
    acked: int = 0
    sent: int = 0
    unacked: int = 0
    refused: int = 0
    lost: int = 0
    duplicates: int = 0
    disorder: int = 0
    incomplete: int = 0
    db_gaps: int = 0
    # entries a participant missed in a chat that has ended: the server offers no way to resume them
    # (tests/faults/test_server_bugs.py shows it); counted apart so the other checks stay exact
    unresumable_after_end: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, kind: str, text: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.problems) < 40:
            self.problems.append(f"{kind}: {text}")

    def figures(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "problems"}

    def assert_clean(self) -> None:
        bad = {k: getattr(self, k) for k in ("lost", "duplicates", "disorder", "incomplete", "db_gaps", "unacked")}
        assert not any(bad.values()), f"{bad}: {self.problems}"


def db_entries(db: PgDatabase) -> dict[str, list[tuple]]:
    """chat public_id -> [(seq, kind, event, client_id, sender_role)] in seq order."""
    out: dict[str, list[tuple]] = defaultdict(list)
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT c.public_id::text, e.seq, e.kind, e.event, e.client_id::text, e.sender_role "
            "FROM chats_entry e JOIN chats_chat c ON c.id = e.chat_id ORDER BY c.id, e.seq"
        ).fetchall()
    for chat_id, *rest in rows:
        out[chat_id].append(tuple(rest))
    return out


def event_counts(db: PgDatabase, event: str) -> dict[str, int]:
    """chat public_id -> how many transcript events named `event` it holds."""
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT c.public_id::text, count(e.id) FROM chats_chat c "
            "LEFT JOIN chats_entry e ON e.chat_id = c.id AND e.kind = 'event' AND e.event = %s GROUP BY c.public_id",
            (event,),
        ).fetchall()
    return dict(rows)


def ended_chats(db: PgDatabase) -> set[str]:
    with db.connect() as conn:
        return {r[0] for r in conn.execute("SELECT public_id::text FROM chats_chat WHERE status = 'ended'")}


def judge(db: PgDatabase, clients: list[ResilientClient], *, chat_ids: list[str] | None = None) -> Verdict:
    stored = db_entries(db)
    ended = ended_chats(db)
    verdict = Verdict()
    chats = chat_ids if chat_ids is not None else list(stored)
    verdict.chats = len(chats)
    for chat_id in chats:
        rows = stored.get(chat_id, [])
        verdict.stored_entries += len(rows)
        seqs = [r[0] for r in rows]
        if seqs != list(range(1, len(seqs) + 1)):
            verdict.problem("db_gaps", f"chat {chat_id} seqs {seqs[:20]}")
        by_cid: dict[str, list[int]] = defaultdict(list)
        for seq, kind, _event, cid, _role in rows:
            if kind == "message" and cid:  # the request's question is stored without a client_id
                verdict.stored_messages += 1
                by_cid[cid].append(seq)
        for cid, at in by_cid.items():
            if len(at) > 1:
                verdict.problem("duplicates", f"chat {chat_id}: client_id {cid} stored at seqs {at}")
        for client in clients:
            view = client.views.get(chat_id)
            if view is None:
                continue
            # what the sender saw acked
            for sent in view.sent.values():
                verdict.sent += 1
                if sent.refused:
                    verdict.refused += 1
                    continue
                if sent.acked_seq is None:
                    if not view.ended:
                        verdict.problem("unacked", f"{client.name} chat {chat_id}: {sent.client_id} never acked")
                    continue
                verdict.acked += 1
                if sent.client_id not in by_cid:
                    verdict.problem("lost", f"{client.name}: {sent.client_id} acked seq {sent.acked_seq}, not stored")
                elif by_cid[sent.client_id][0] != sent.acked_seq:
                    verdict.problem(
                        "lost",
                        f"{client.name}: {sent.client_id} acked {sent.acked_seq}, stored {by_cid[sent.client_id]}",
                    )
            acked_seqs: dict[str, set[int]] = defaultdict(set)
            for cid, seq in view.acks:
                acked_seqs[cid].add(seq)
            for cid, seqs_seen in acked_seqs.items():
                if len(seqs_seen) > 1:
                    verdict.problem("duplicates", f"{client.name}: {cid} acked with seqs {sorted(seqs_seen)}")
            # what the participant rendered
            rendered = [f["seq"] for f in view.rendered]
            cids = Counter(f.get("client_id") for f in view.rendered if f.get("client_id"))
            for cid, n in cids.items():
                if n > 1:
                    verdict.problem("duplicates", f"{client.name} chat {chat_id}: rendered {cid} {n} times")
            for seq, n in Counter(rendered).items():
                if n > 1:
                    verdict.problem("duplicates", f"{client.name} chat {chat_id}: rendered seq {seq} {n} times")
            if rendered != sorted(set(rendered)) or (rendered and rendered != list(range(1, len(rendered) + 1))):
                verdict.problem("disorder", f"{client.name} chat {chat_id}: rendered {rendered[:30]}")
            if view.released:
                continue  # the chat left this agent: it is not a participant's final view
            if rendered != seqs:
                missing = sorted(set(seqs) - set(rendered))
                if chat_id in ended and rendered == seqs[: len(rendered)]:
                    verdict.unresumable_after_end += len(missing)
                    if len(verdict.problems) < 40:
                        verdict.problems.append(f"after end: {client.name} chat {chat_id} missed {missing[:20]}")
                    continue
                verdict.problem("incomplete", f"{client.name} chat {chat_id}: missing seqs {missing[:20]}")
            rendered_cids = set(cids)
            for cid in by_cid:
                if cid not in rendered_cids:
                    acked_anywhere = any(
                        c.views.get(chat_id) and cid in c.views[chat_id].sent and c.views[chat_id].sent[cid].acked_seq
                        for c in clients
                    )
                    if acked_anywhere:
                        verdict.problem("lost", f"{client.name} chat {chat_id}: acked {cid} never rendered")
    return verdict
