"""A token bucket: a burst of `capacity`, refilled at `rate` per second (clock injected)."""

from __future__ import annotations

from collections.abc import Callable


class TokenBucket:
    def __init__(self, capacity: int, rate: float, clock: Callable[[], float]):
        self.capacity, self.rate, self.clock = capacity, rate, clock
        self.tokens = float(capacity)
        self.updated = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
