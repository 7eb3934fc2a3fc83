"""An in-process sliding-window rate limiter for the public endpoints (forms, tracking).

It counts requests in this process only: a deployment with several worker processes or hosts
multiplies the effective limit and should also limit at its reverse proxy (see
docs/forms-and-tracking.md).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

PRUNE_EVERY = 1000  # calls between sweeps of keys that have gone quiet
MAX_KEYS = 100_000  # bounds memory when many addresses send a few requests each


class SlidingWindow:
    """At most `limit` hits per key within any `seconds`-long window."""

    def __init__(self, limit: int, seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.seconds = seconds
        self.clock = clock
        self._hits: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()
        self._calls = 0

    def hit(self, key: Hashable) -> float | None:
        """Count one hit; None if allowed, else the seconds to wait before the next is."""
        now = self.clock()
        with self._lock:
            self._calls += 1
            if self._calls % PRUNE_EVERY == 0 or len(self._hits) > MAX_KEYS:
                self._prune(now)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.seconds - now, 0.0)
            hits.append(now)
            return None

    def _prune(self, now: float) -> None:
        quiet = [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.seconds]
        for key in quiet:
            del self._hits[key]
        # Still too many active keys: forget the oldest ones (dicts keep insertion order).
        for key in list(self._hits)[: max(len(self._hits) - MAX_KEYS, 0)]:
            del self._hits[key]


def retry_after(seconds: float) -> str:
    """The `Retry-After` header value: whole seconds, at least 1."""
    return str(max(math.ceil(seconds), 1))


def limiter(state: Any, name: str, limit: int, seconds: float) -> SlidingWindow:
    """The application's limiter called `name`, made on first use (tests may replace it)."""
    limiters: dict[str, SlidingWindow] | None = getattr(state, "rate_limiters", None)
    if limiters is None:
        limiters = {}
        state.rate_limiters = limiters
    if name not in limiters:
        limiters[name] = SlidingWindow(limit, seconds)
    return limiters[name]
