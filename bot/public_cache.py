"""A few seconds' cache for what anonymous visitors read (dashboards, CSV, performance figures).

A burst of requests for the same page costs one computation: a hit is served from memory until it is
``seconds`` old (on the injected clock), and concurrent misses await the computation already running
(single flight) instead of starting their own. ``seconds`` 0 turns it off (``http.public_cache_seconds``).

Written here rather than taken from a library: the caches on PyPI (cachetools, aiocache) either have no
single flight for coroutines or bring a backend; this is the 40 lines the pages need.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Hashable, TypeVar

T = TypeVar("T")


class PublicCache:
    def __init__(self, seconds: float, clock: Callable[[], datetime], *, max_entries: int = 1024) -> None:
        self.ttl = timedelta(seconds=seconds)
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[datetime, Any]] = {}
        self._running: dict[Hashable, asyncio.Future[Any]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """The cached value of ``key``, or ``compute()``'s (shared with every concurrent caller)."""
        if self.ttl <= timedelta(0):
            return await compute()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > self.clock():
            return hit[1]
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await compute()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            self._running.pop(key, None)
        self._store(key, value)
        future.set_result(value)
        return value

    def _store(self, key: Hashable, value: Any) -> None:
        now = self.clock()
        if len(self._entries) >= self.max_entries:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            while len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (now + self.ttl, value)
