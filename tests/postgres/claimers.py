"""One claimer process: N threads, each an agent calling accept_next until the queue is empty.

After each claim the thread records the delivery, as the agent's console does once it has sent
the `assigned` frame (queueing.offers.record_delivery): that writes the chat's `agent_joined`.

Run by test_claims_across_processes with DATABASE_URL naming the test database. Prints one JSON
line: claims made, errors by code, and elapsed seconds.
"""

import json
import os
import sys
import threading
import time
from collections import Counter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
import django  # noqa: E402

django.setup()

from django.db import close_old_connections, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from chats.outbox import Outbox  # noqa: E402
from queueing.assignment import QueueError, accept_next  # noqa: E402
from queueing.offers import record_delivery  # noqa: E402

COUNTING = threading.Lock()  # `counter[key] += 1` is a read and a write: 100 threads lose updates without it


def count(results: Counter, key: str) -> None:
    with COUNTING:
        results[key] += 1


def claim_until_empty(agent: User, results: Counter, latencies: list, start: threading.Event) -> None:
    start.wait()
    try:
        while True:
            t0 = time.perf_counter()
            try:
                chat = accept_next(agent, now=timezone.now(), outbox=Outbox())
                count(results, "claimed")
                latencies.append(time.perf_counter() - t0)
                if not record_delivery(agent, chat.public_id, now=timezone.now(), outbox=Outbox()):
                    count(results, "delivery found the chat not this agent's")
            except QueueError as exc:
                count(results, exc.code)
                if exc.code in ("queue_empty", "at_capacity"):
                    return
            except Exception as exc:  # counted so the test names what stopped a thread
                count(results, f"crashed: {type(exc).__name__}: {exc}"[:200])
                return
            finally:
                close_old_connections()  # back to the pool after each claim, as a request would
    finally:
        connections.close_all()


def main() -> None:
    usernames = sys.argv[1].split(",")
    start_at = float(sys.argv[2])
    agents = list(User.objects.filter(username__in=usernames))
    connections.close_all()
    results: Counter = Counter()
    latencies: list[float] = []
    start = threading.Event()
    threads = [threading.Thread(target=claim_until_empty, args=(a, results, latencies, start)) for a in agents]
    for t in threads:
        t.start()
    time.sleep(max(0.0, start_at - time.time()))
    t0 = time.perf_counter()
    start.set()
    for t in threads:
        t.join()
    print(json.dumps({"results": results, "elapsed": time.perf_counter() - t0, "latencies": latencies}))


if __name__ == "__main__":
    main()
