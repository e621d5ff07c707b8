"""A per-key sliding-window counter on the gateway's clock (in memory, one process)."""
from __future__ import annotations

from collections import OrderedDict, deque
from datetime import datetime, timedelta
from typing import Callable


class WindowLimiter:
    """At most ``limit`` hits per ``window`` for each key (e.g. a client IP)."""

    def __init__(self, limit: int, window: timedelta, clock: Callable[[], datetime], max_keys: int = 50_000) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[datetime]] = OrderedDict()

    def _recent(self, key: str) -> deque[datetime]:
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        cutoff = self.clock() - self.window
        while hits and hits[0] <= cutoff:
            hits.popleft()
        return hits

    def allowed(self, key: str) -> bool:
        return len(self._recent(key)) < self.limit

    def retry_after(self, key: str) -> int:
        """Seconds until one more hit is allowed."""
        hits = self._recent(key)
        if len(hits) < self.limit:
            return 0
        return max(1, int((hits[0] + self.window - self.clock()).total_seconds()) + 1)

    def hit(self, key: str) -> None:
        hits = self._recent(key)
        hits.append(self.clock())
        self._hits[key] = hits
        self._hits.move_to_end(key)
        while len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)
