"""Per-channel and per-recipient send budgets, from adapters' capabilities.

A small token bucket written here rather than aiolimiter: it takes an
injected clock and sleep, so the dispatcher's pacing is testable without
waiting in real time.
"""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Awaitable, Callable

from adapters.base import Capabilities


class TokenBucket:
    def __init__(self, rate: float, burst: int, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]) -> None:
        self.rate = rate
        self.capacity = max(1, burst)
        self.tokens = float(self.capacity)
        self.clock = clock
        self.sleep = sleep
        self.updated = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    async def acquire(self) -> float:
        """Take one token, sleeping until one is available; returns the wait."""
        waited = 0.0
        async with self._lock:
            self._refill()
            while self.tokens < 1 - 1e-9:  # tolerance: float refills land a hair short
                delay = (1 - self.tokens) / self.rate
                await self.sleep(delay)
                waited += delay
                self._refill()
            self.tokens = max(0.0, self.tokens - 1)
        return waited


class SendBudget:
    """Waits until a send to ``recipient`` on ``channel`` is within both budgets."""

    def __init__(
        self,
        max_recipients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._channels: dict[str, TokenBucket] = {}
        self._recipients: OrderedDict[tuple[str, str], TokenBucket] = OrderedDict()
        self._max_recipients = max_recipients
        self.clock = clock
        self.sleep = sleep

    async def acquire(self, channel: str, recipient: str, caps: Capabilities) -> float:
        ch = self._channels.get(channel)
        if ch is None:
            ch = self._channels[channel] = TokenBucket(caps.rate_per_second, caps.burst, self.clock, self.sleep)
        key = (channel, recipient)
        rl = self._recipients.get(key)
        if rl is None:
            rl = self._recipients[key] = TokenBucket(caps.per_recipient_per_second, caps.per_recipient_burst,
                                                     self.clock, self.sleep)
            if len(self._recipients) > self._max_recipients:
                self._recipients.popitem(last=False)
        else:
            self._recipients.move_to_end(key)
        return await rl.acquire() + await ch.acquire()
