"""Every frame the server sends has one builder in chats/frames and one TypedDict in chats/frames/shapes.

- each builder's output, built from real rows, matches its TypedDict (keys and value types) and
  carries every field CONTRACT.md names for that frame;
- every frame a real conversation puts on the wire matches the shape of its type;
- no module outside chats/frames builds a frame as a dict literal (an AST scan of the apps).
"""

from __future__ import annotations

import ast
import inspect
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints, is_typeddict

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from chats import frames
from chats.commitments import Terms, record_commitment
from chats.frames import events, shapes
from chats.models import EntryKind
from chats.outbox import Outbox
from chats.redaction import Mask
from chats.transcript import append_entry, lock_chat
from tests.attachment_files import active_chat, pdf_bytes, upload
from tests.conftest import connect

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "chats", "queueing", "transcripts", "consumers", "web", "routing", "chatserver")
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

# CONTRACT.md's fields for each server frame (on top of `type`); extensions may add more.
CONTRACT_FIELDS: dict[str, set[str]] = {
    "chat.state": {"chat_id", "case_number", "status", "position", "agent", "last_seq"},
    "ack": {"client_id", "seq"},
    "message": {"seq", "client_id", "sender_role", "sender", "text", "at"},
    "queue.place": {"position", "estimated_wait_seconds"},
    "queue.list": {"waiting"},
    "agent.joined": {"name"},
    "typing": {"sender_role"},
    "idle.warning": {"number", "seconds_left"},
    "ended": {"reason", "case_number"},
    "error": {"code", "message"},
    "agent.state": {"status", "capacity", "chats", "queue"},
    "assigned": {"chat"},
}
CONTRACT_WAITING_ROW = {"chat_id", "case_number", "transaction_type", "priority", "waiting_seconds"}

# --- the checker: a value against a type annotation -----------------------------------------


def mismatches(value: Any, hint: Any, where: str = "frame") -> list[str]:
    """What about `value` does not fit `hint` (a TypedDict, Literal, union, list, dict or plain type)."""
    if hint is Any or hint is object:
        return []
    if is_typeddict(hint):
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__}, not an object"]
        hints = get_type_hints(hint)
        problems = [f"{where}: missing {key!r}" for key in sorted(hint.__required_keys__ - set(value))]
        problems += [f"{where}: unexpected {key!r}" for key in sorted(set(value) - set(hints))]
        for key in set(value) & set(hints):
            problems += mismatches(value[key], hints[key], f"{where}.{key}")
        return problems
    origin = get_origin(hint)
    if origin is Literal:
        return [] if value in get_args(hint) else [f"{where}: {value!r} not one of {get_args(hint)}"]
    if origin in (typing.Union, types.UnionType):
        options = [mismatches(value, option, where) for option in get_args(hint)]
        return [] if any(not o for o in options) else min(options, key=len)
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__}, not a list"]
        (item,) = get_args(hint) or (Any,)
        return [p for i, v in enumerate(value) for p in mismatches(v, item, f"{where}[{i}]")]
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        return [] if isinstance(value, Mapping) else [f"{where}: {type(value).__name__}, not an object"]
    if hint is type(None):
        return [] if value is None else [f"{where}: {value!r}, not null"]
    if hint is int and isinstance(value, bool):
        return [f"{where}: {value!r}, not an integer"]
    if hint is float:
        hint = (int, float)
    return [] if isinstance(value, hint) else [f"{where}: {value!r} is {type(value).__name__}, not {hint}"]


def shape_of(builder: Callable) -> Any:
    return get_type_hints(builder)["return"]


def test_the_checker_fails_on_a_wrong_frame():
    """The checker is what the schema tests rest on: it must refuse each kind of mistake."""
    good = {"type": "idle.warning", "number": 1, "seconds_left": 300}
    assert mismatches(good, shapes.IdleWarningFrame) == []
    assert mismatches({**good, "type": "idle.warn"}, shapes.IdleWarningFrame)
    assert mismatches({"type": "idle.warning", "number": 1}, shapes.IdleWarningFrame)
    assert mismatches({**good, "extra": 1}, shapes.IdleWarningFrame)
    assert mismatches({**good, "number": "1"}, shapes.IdleWarningFrame)
    assert mismatches({**good, "number": True}, shapes.IdleWarningFrame)
    assert mismatches({"type": "queue", "waiting": [{"chat_id": "x"}]}, shapes.QueueListFrame)
    assert mismatches({"type": "ended", "reason": None, "case_number": "C-1"}, shapes.EndedFrame) == []


# --- every builder, fed from real rows --------------------------------------------------------


@pytest.fixture
def rows(provider, agent):
    """A chat the agent serves, with a message, an event and a checked file, all stored for real."""
    chat = active_chat(provider, agent)
    assert upload(agent, chat, pdf_bytes()).status_code == 201
    chat.refresh_from_db()
    with transaction.atomic():  # a message appended as the store appends one (its hash chained on)
        append_entry(
            lock_chat(pk=chat.pk),
            outbox=Outbox(),
            kind=EntryKind.MESSAGE,
            sender_role="provider",
            sender_id=provider.pk,
            sender_name=provider.display_name,
            text="Is it approved?",
            client_id=uuid.uuid4(),
            now=NOW,
        )
        append_entry(  # an internal note (docs/record.md)
            lock_chat(pk=chat.pk),
            outbox=Outbox(),
            kind=EntryKind.NOTE,
            sender_role="agent",
            sender_id=agent.pk,
            sender_name=agent.display_name,
            text="Call back Friday",
            client_id=uuid.uuid4(),
            now=NOW,
        )
    chat.refresh_from_db()
    entries = {e.kind: e for e in chat.entries.select_related("attachment").order_by("seq")}
    with transaction.atomic():  # an escalation commitment (docs/escalations.md), after the entries above
        terms = Terms(NOW + timedelta(days=1), "Dana Ruiz", "ext. 4021")
        record_commitment(lock_chat(pk=chat.pk), agent, terms, occasion="closed", now=NOW, outbox=Outbox())
    chat.refresh_from_db()
    return chat, entries


def samples(chat, entries) -> dict[str, tuple[Callable, tuple, str | None]]:
    """builder name -> (builder, its arguments, the CONTRACT_FIELDS key it answers to)."""
    message, event, attached = entries[EntryKind.MESSAGE], entries[EntryKind.EVENT], entries[EntryKind.ATTACHMENT]
    detail = frames.chat_detail(chat, [frames.entry_frame(message)])
    note = entries[EntryKind.NOTE]
    row = frames.waiting_row(str(chat.public_id), chat.case_number, chat.transaction_type, True, 12)
    place = frames.queue_place_frame(2, 90)
    return {
        "entry_frame": (frames.entry_frame, (attached,), None),
        "message_frame": (frames.message_frame, (message,), "message"),
        "event_frame": (frames.event_frame, (event,), None),
        "attachment_frame": (frames.attachment_frame, (attached,), None),
        "commitment_event_frame": (frames.commitment_event_frame, (chat.entries.get(event="commitment"),), None),
        "ack_frame": (frames.ack_frame, (message, [Mask("ssn", "6789")], str(chat.public_id)), "ack"),
        "attachment_status_frame": (frames.attachment_status_frame, (attached.attachment, attached.seq, "why"), None),
        "typing_frame": (frames.typing_frame, ("agent",), "typing"),
        "idle_warning_frame": (frames.idle_warning_frame, (1, 300), "idle.warning"),
        "idle_cleared_frame": (frames.idle_cleared_frame, (), None),
        "agent_joined_frame": (frames.agent_joined_frame, ("Ana Tester",), "agent.joined"),
        "agent_left_frame": (frames.agent_left_frame, ("Ana Tester", "transferred"), None),
        "ended_frame": (frames.ended_frame, (chat,), "ended"),
        "chat_state_frame": (frames.chat_state_frame, (chat, place, 120), "chat.state"),
        "queue_place_frame": (frames.queue_place_frame, (2, None), "queue.place"),
        "notice_frame": (frames.notice_frame, ("closed_for_new_chats", "Closed.", NOW.isoformat()), None),
        "error_frame": (
            frames.error_frame,
            (
                "bad_frame",
                "No.",
            ),
            "error",
        ),
        "head_frame": (frames.head_frame, (chat.public_id, 7), None),
        "pong_frame": (frames.pong_frame, (), None),
        "queue_list_frame": (frames.queue_list_frame, ([row],), "queue.list"),
        "agent_state_frame": (frames.agent_state_frame, ("available", 3, [detail], [row]), "agent.state"),
        "assigned_frame": (frames.assigned_frame, (detail,), "assigned"),
        "status_frame": (frames.status_frame, ("away",), None),
        "released_frame": (frames.released_frame, (str(chat.public_id), "unanswered"), None),
        "wrapup_frame": (frames.wrapup_frame, (chat, NOW), None),
        "floor_state_frame": (frames.floor_state_frame, (NOW, [row], [{"username": "ana"}], []), None),
        "hand_frame": (
            frames.hand_frame,
            (chat.public_id, chat.case_number, "taken", "policy", "Policy", "", NOW, "Sofia", NOW),
            None,
        ),
        "floor_changed_event": (frames.floor_changed_event, (), None),
        "monitor_started_frame": (frames.monitor_started_frame, (detail,), None),
        "monitor_stopped_frame": (frames.monitor_stopped_frame, (str(chat.public_id), "ended"), None),
        "internal_frame": (frames.internal_frame, (note,), None),
        "skip_frame": (frames.skip_frame, (note.seq,), None),
        "mode_frame": (frames.mode_frame, (str(chat.public_id), "whisper"), None),
        "relay_event": (frames.relay_event, (frames.typing_frame("agent"), str(chat.public_id)), None),
        "agent_assigned_event": (frames.agent_assigned_event, (str(chat.public_id),), None),
        "agent_released_event": (frames.agent_released_event, (str(chat.public_id), "transferred"), None),
        "queue_positions_event": (frames.queue_positions_event, ([chat.public_id.hex], [None]), None),
    }


BUILDERS = sorted(name for name in frames.__all__ if name.endswith(("_frame", "_event")))


def test_every_builder_has_a_schema_test(rows):
    assert sorted(samples(*rows)) == BUILDERS


@pytest.mark.parametrize("name", BUILDERS)
def test_builder_output_matches_its_shape_and_the_contract(rows, name):
    builder, args, contract = samples(*rows)[name]
    frame = builder(*args)
    shape = shape_of(builder)
    assert mismatches(frame, shape) == []
    members = [shape] if is_typeddict(shape) else list(get_args(shape))
    assert frame["type"] in {t for m in members for t in get_args(get_type_hints(m)["type"])}
    if contract is not None:
        assert CONTRACT_FIELDS[contract] <= set(frame), f"{name} lacks {CONTRACT_FIELDS[contract] - set(frame)}"
    for waiting in frame.get("waiting", frame.get("queue", [])):
        assert set(waiting) >= CONTRACT_WAITING_ROW


def test_entry_frames_keep_their_wire_form(rows):
    """The builders split out of entry_frame send what it sent: same keys, same order, same values."""
    chat, entries = rows
    message = frames.entry_frame(entries[EntryKind.MESSAGE])
    assert list(message) == ["type", "seq", "sender_role", "sender", "text", "at", "client_id"]
    assert list(frames.entry_frame(entries[EntryKind.EVENT])) == [
        "type", "seq", "sender_role", "sender", "text", "at", "event"
    ]  # fmt: skip
    ack = frames.ack_frame(entries[EntryKind.MESSAGE], [Mask("card", "4242")], "c")
    assert list(ack) == ["type", "chat_id", "client_id", "seq", "text", "masked"]
    assert list(frames.ack_frame(entries[EntryKind.MESSAGE], ())) == ["type", "client_id", "seq"]
    assert frames.relay_event({"type": "pong"}) == {"type": "relay.frame", "frame": {"type": "pong"}}
    assert frames.priority_of(True) == "discharge_within_24h" and frames.priority_of(False) == "normal"
    chat.idle_steps_done = 3  # the end step: still two warnings shown
    assert frames.idle_warnings_of(chat) == 2


# --- what a real conversation puts on the wire ---------------------------------------------------


def wire_shape(frame: dict, socket: str) -> Any:
    """The TypedDict a frame received on `socket` must match (consoles' copies carry `chat_id`)."""
    kind = frame["type"]
    if kind == "queue":
        return shapes.QueueListFrame if socket != "chat" else shapes.QueuePlaceFrame
    if kind == "event":
        return shapes.AttachmentEventFrame if frame.get("event") == "attachment" else shapes.EventFrame
    by_type = {
        get_args(get_type_hints(td)["type"])[0]: td
        for td in vars(shapes).values()
        if is_typeddict(td) and "type" in get_type_hints(td)
    }
    return by_type[kind]


@pytest.mark.django_db(transaction=True)
async def test_every_frame_of_a_conversation_matches_its_shape(provider, agent):
    reply = await sync_to_async(active_chat)(provider, agent)
    chat_id = str(reply.public_id)
    p, accepted, _ = await connect(provider, f"/ws/chat/{chat_id}/")
    a, _, _ = await connect(agent, "/ws/agent/")
    assert accepted
    seen: dict[str, list[dict]] = {"chat": [], "agent": []}

    async def until(name: str, socket, kind: str) -> None:
        while not seen[name] or seen[name][-1]["type"] != kind:
            seen[name].append(await socket.next())

    await p.send({"type": "typing"})
    await p.message("Is the authorization approved?")
    await p.send({"type": "ping"})
    await p.send({"type": "nonsense"})
    await until("chat", p, "error")
    await a.message("Yes, it is.", chat_id=chat_id)
    await a.send({"type": "status", "status": "available"})
    await until("agent", a, "status")
    await a.send({"type": "close", "chat_id": chat_id, "disposition": "resolved"})
    await until("chat", p, "ended")
    await until("agent", a, "ended")
    for name, received in seen.items():
        for frame in received:
            shape = wire_shape(frame, name)
            relayed = name == "agent" and "chat_id" in frame and "chat_id" not in get_type_hints(shape)
            assert mismatches({k: v for k, v in frame.items() if not (relayed and k == "chat_id")}, shape) == [], frame
    kinds = {frame["type"] for received in seen.values() for frame in received}
    assert {"chat.state", "agent.state", "typing", "message", "ack", "status", "pong", "error", "ended"} <= kinds
    await p.comm.disconnect()
    await a.comm.disconnect()


# --- no frame built anywhere else -----------------------------------------------------------------

# Dict literals with a "type" key that are not client frames, or cannot use chats.frames: the
# accounts app sits below chats on the ladder (its session and revocation events name consumer
# handlers); /healthz probes the channel layer with a throwaway event.
NOT_FRAMES = {
    ("accounts/sessions.py", "'session.ended'"),
    ("accounts/sessions.py", "'session.check'"),
    ("accounts/oidc.py", "CHATS_REVOKED"),
    ("chatserver/health.py", "'ping'"),
}


def typed_literals(source: str) -> list[str]:
    """The `type` values of dict literals (`{"type": ...}`, `dict(type=...)`) in Python source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "type":
                    found.append(ast.unparse(value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
            found += [ast.unparse(k.value) for k in node.keywords if k.arg == "type"]
    return found


def frame_literals_outside_frames() -> set[tuple[str, str]]:
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("chats/frames/") or "/migrations/" in rel:
                continue
            found |= {(rel, value) for value in typed_literals(path.read_text())}
    return found


def test_the_scan_sees_a_frame_literal():
    sample = inspect.cleandoc(
        """
        async def on_x(self, frame):
            await self.send_json({"type": "x.done", "ok": True})
            outbox.chat_frame(chat, dict(type="y", n=1))
        """
    )
    assert sorted(typed_literals(sample)) == ["'x.done'", "'y'"]


def test_no_frame_is_built_outside_chats_frames():
    stray = frame_literals_outside_frames() - NOT_FRAMES
    assert not stray, f"build these in chats/frames (one builder + TypedDict each): {sorted(stray)}"


def test_the_exceptions_are_still_needed():
    """An exception that no longer matches anything is removed from NOT_FRAMES, not left to hide one."""
    assert frame_literals_outside_frames() >= NOT_FRAMES


def test_the_frames_package_stays_small():
    for path in (ROOT / "chats" / "frames").glob("*.py"):
        assert len(path.read_text().splitlines()) <= 300, path.name


def test_every_frame_type_is_written_down():
    doc = (ROOT / "docs" / "frames.md").read_text()
    typed = [td for module in (shapes, events) for td in vars(module).values() if is_typeddict(td)]
    kinds = {t for td in typed if "type" in get_type_hints(td) for t in get_args(get_type_hints(td)["type"])}
    assert kinds and not {k for k in kinds if f"| `{k}`" not in doc}
    assert not {name for name in BUILDERS if f"`{name}`" not in doc}
