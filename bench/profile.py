"""Summarise a py-spy `--format raw` profile (collapsed stacks) into where the CPU went."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

BUCKETS = {
    "PostgreSQL driver (psycopg: send/wait/parse)": ("psycopg/",),
    "Django ORM / SQL compiler": ("django/db/models", "django/db/backends"),
    "transactions (atomic, on_commit)": ("django/db/transaction",),
    "thread hops (asgiref sync_to_async / executor)": ("asgiref/sync.py", "concurrent/futures"),
    "channel layer (channels_redis, redis-py)": ("channels_redis/", "redis/"),
    "Channels consumer dispatch": ("channels/consumer", "channels/generic", "channels/utils"),
    "Daphne/Twisted/autobahn websocket transport": ("twisted/", "autobahn/", "daphne/"),
    "JSON encode/decode": ("json/",),
    "our domain code (chats/, queueing/, consumers/, transcripts/)": (
        "/chats/",
        "/queueing/",
        "/consumers/",
        "/transcripts/",
    ),
    "session save (touch_session)": ("sessions/backends",),
}


def parse(path: Path):
    for line in path.read_text().splitlines():
        m = re.match(r"(.*) (\d+)$", line)
        if m:
            yield m.group(1).split(";"), int(m.group(2))


def summarize(path: Path, top: int = 25) -> dict:
    total = 0
    buckets: Counter = Counter()
    self_time: Counter = Counter()
    inclusive: Counter = Counter()
    threads: Counter = Counter()
    for frames, n in parse(path):
        total += n
        threads[frames[0][:60]] += n
        stack = ";".join(frames)
        for name, needles in BUCKETS.items():
            if any(needle in stack for needle in needles):
                buckets[name] += n
        self_time[_short(frames[-1])] += n
        for f in set(frames[1:]):
            inclusive[_short(f)] += n

    def pct(c: Counter, k: int):
        return [(name, round(100 * v / max(total, 1), 1)) for name, v in c.most_common(k)]

    return {
        "samples": total,
        "buckets_inclusive_pct": pct(buckets, len(BUCKETS)),
        "top_self_pct": pct(self_time, top),
        "top_inclusive_pct": pct(inclusive, top),
        "threads_pct": pct(threads, 10),
    }


def _short(frame: str) -> str:
    frame = re.sub(r"\(/.*?site-packages/", "(", frame)
    frame = re.sub(r"\(/work/main/", "(", frame)
    return frame[:140]


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(summarize(Path(sys.argv[1])), indent=1))
