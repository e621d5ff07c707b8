"""One rate limiter for the whole deployment: send budgets and per-client limits.

Two primitives, each answered by one atomic step of a backend:

* ``pace(key, rate, burst)``: GCRA (the generic cell rate algorithm, a token
  bucket kept as one number, the "theoretical arrival time"). It reserves the
  next slot and returns how long the caller waits before using it, so a send
  costs one round trip however many processes share the budget. Over any run,
  sends <= burst + rate x elapsed.
* ``retry_after(key, limit, window)`` / ``hit(key, window)``: a sliding window
  log ("at most ``limit`` hits in any ``window``"): the per-client limits on
  sign-in, /lapor and tracking lookups, whose check and hit are apart in time
  (a form counts only once it was stored, a sign-in only when it failed).

Backends: Redis (``redis.url``; bot/limiter_redis.py), PostgreSQL (store/budgets.py)
or this process's memory (SQLite: one process). ``SharedLimiter`` falls back to
memory while the shared backend fails, logging once and showing it in /healthz:
an outage of Redis never stops delivery, it only makes the limits per process.

Hand-written rather than a library: the limiters on PyPI (aiolimiter, limits)
either keep state in one process or have no PostgreSQL storage, and none takes
the injected clock that keeps the tests free of real waiting.
"""
from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict, deque
from typing import Any, Callable, Protocol

log = logging.getLogger(__name__)
# Epoch seconds (~1.8e9) in a float keep about a microsecond: shorter waits are rounding, not waiting.
_EPSILON = 1e-6


class LimiterBackend(Protocol):
    name: str

    async def pace(self, key: str, now: float, interval: float, tolerance: float) -> float:
        """Reserve the next slot of ``key``; seconds until it may be used (<= 0: now)."""

    async def retry_after(self, key: str, now: float, limit: int, window: float) -> float:
        """Seconds until one more hit of ``key`` fits (0: now)."""

    async def hit(self, key: str, now: float, window: float) -> None:
        """Count one hit of ``key`` at ``now``."""

    async def close(self) -> None: ...


def gcra_step(tat: float | None, now: float, interval: float, tolerance: float) -> tuple[float, float]:
    """(new theoretical arrival time, wait) for one reservation; the rule every backend applies."""
    new_tat = max(tat or now, now) + interval
    return new_tat, new_tat - now - tolerance


def window_wait(hits: list[float], now: float, limit: int, window: float) -> float:
    """Seconds until fewer than ``limit`` of ``hits`` (ascending) are inside the window."""
    recent = [h for h in hits if h > now - window]
    if len(recent) < limit:
        return 0.0
    return max(0.0, recent[len(recent) - limit] + window - now)


class MemoryBackend:
    """This process only (SQLite deployments, and the fallback of the shared ones)."""

    name = "memory"

    def __init__(self, max_keys: int = 50_000) -> None:
        self.max_keys = max_keys
        self._tat: OrderedDict[str, float] = OrderedDict()
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def _bound(self, table: OrderedDict[str, Any], key: str) -> None:
        table.move_to_end(key)
        while len(table) > self.max_keys:
            table.popitem(last=False)

    async def pace(self, key: str, now: float, interval: float, tolerance: float) -> float:
        self._tat[key], wait = gcra_step(self._tat.get(key), now, interval, tolerance)
        self._bound(self._tat, key)
        return wait

    def _recent(self, key: str, now: float, window: float) -> deque[float]:
        hits = self._hits.get(key, deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        return hits

    async def retry_after(self, key: str, now: float, limit: int, window: float) -> float:
        return window_wait(list(self._recent(key, now, window)), now, limit, window)

    async def hit(self, key: str, now: float, window: float) -> None:
        hits = self._recent(key, now, window)
        hits.append(now)
        self._hits[key] = hits
        self._bound(self._hits, key)

    async def close(self) -> None:
        return None


def unlimited(rate: float) -> bool:
    return rate <= 0 or math.isinf(rate)


class SharedLimiter:
    """The limiter the gateway uses: a shared backend, memory while that one fails."""

    def __init__(self, backend: LimiterBackend | None = None, *, clock: Callable[[], float] = time.time,
                 retry_seconds: float = 30.0, memory: MemoryBackend | None = None) -> None:
        self.memory = memory or MemoryBackend()
        self.backend: LimiterBackend = backend or self.memory
        self.clock = clock
        self.retry_seconds = retry_seconds
        self._down_since: float | None = None
        self._down_error = ""

    def _current(self) -> LimiterBackend:
        if self._down_since is not None and self.clock() - self._down_since < self.retry_seconds:
            return self.memory
        return self.backend

    async def _run(self, op: str, *args: Any) -> Any:
        backend = self._current()
        try:
            result = await getattr(backend, op)(*args)
        except Exception as exc:  # noqa: BLE001 - any failure of the shared store degrades, never stops
            if backend is self.memory:
                raise
            if self._down_since is None:
                log.warning("rate limiter: %s unavailable (%s); limits are per process until it is back",
                            backend.name, type(exc).__name__)
            self._down_since, self._down_error = self.clock(), type(exc).__name__
            return await getattr(self.memory, op)(*args)
        if backend is not self.memory and self._down_since is not None:
            log.warning("rate limiter: %s is back; limits are shared again", backend.name)
            self._down_since = None
        return result

    async def pace(self, key: str, rate: float, burst: int) -> float:
        """Reserve one event of ``key`` at ``rate``/s (``burst`` at once); seconds to wait before it."""
        if unlimited(rate):
            return 0.0
        interval = 1.0 / rate
        wait = float(await self._run("pace", key, self.clock(), interval, max(1, burst) * interval))
        return wait if wait > _EPSILON else 0.0

    async def retry_after(self, key: str, limit: int, window: float, now: float | None = None) -> float:
        return float(await self._run("retry_after", key, self.clock() if now is None else now, limit, window))

    async def hit(self, key: str, window: float, now: float | None = None) -> None:
        await self._run("hit", key, self.clock() if now is None else now, window)

    def window(self, scope: str, limit: int, window_seconds: float,
               clock: Callable[[], float] | None = None) -> "WindowLimit":
        """A per-client limit of one ``scope`` (e.g. "login-ip"), on ``clock`` (default: the limiter's)."""
        return WindowLimit(self, scope, limit, window_seconds, clock or self.clock)

    def health(self) -> dict[str, Any]:
        info: dict[str, Any] = {"backend": self.backend.name, "state": "ok"}
        if self._down_since is not None:
            info.update(state="degraded: per-process limits", error=self._down_error)
        return info

    @property
    def degraded(self) -> bool:
        return self._down_since is not None

    async def close(self) -> None:
        await self.backend.close()


class WindowLimit:
    """At most ``limit`` hits per ``window_seconds`` for each key of one scope (e.g. client IPs).

    Use: ``wait = await limit.wait(ip)``; refuse with 429 and ``retry-after: wait``
    when it is > 0; ``await limit.hit(ip)`` for what counts.
    """

    def __init__(self, limiter: SharedLimiter, scope: str, limit: int, window_seconds: float,
                 clock: Callable[[], float]) -> None:
        self.limiter = limiter
        self.scope = scope
        self.limit = limit
        self.window = window_seconds
        self.clock = clock

    def _key(self, key: str) -> str:
        return f"win:{self.scope}:{key}"

    async def wait(self, key: str) -> int:
        """0 if one more hit fits now, else whole seconds to wait (at least 1)."""
        seconds = await self.limiter.retry_after(self._key(key), self.limit, self.window, self.clock())
        return 0 if seconds <= 0 else max(1, math.ceil(seconds))

    async def hit(self, key: str) -> None:
        await self.limiter.hit(self._key(key), self.window, self.clock())

    async def take(self, key: str) -> int:
        """``wait``, and a hit when it is 0: for limits where every attempt counts."""
        seconds = await self.wait(key)
        if seconds == 0:
            await self.hit(key)
        return seconds
