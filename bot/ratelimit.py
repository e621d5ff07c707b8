"""Per-channel and per-recipient send budgets: the provider's limits, shared by every process.

The defaults are each adapter's ``Capabilities`` (the provider's documented
limits); ``outbox.lanes.<channel>.rate_per_second`` and friends override them.
Each send reserves a slot in the shared limiter (bot/limiter.py: Redis,
PostgreSQL or memory), so N gateway processes together keep one budget.
"""
from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import replace
from typing import Awaitable, Callable, Mapping

from adapters.base import Capabilities
from bot.limiter import MemoryBackend, SharedLimiter


def recipient_key(channel: str, recipient: str) -> str:
    """The per-recipient budget's key: a digest, so no address or chat id sits in Redis or the database."""
    return f"send:{channel}:to:{hashlib.sha256(recipient.encode()).hexdigest()[:20]}"


class SendBudget:
    """Waits until a send to ``recipient`` on ``channel`` is within both budgets."""

    def __init__(
        self,
        limiter: SharedLimiter | None = None,
        overrides: Mapping[str, Mapping[str, float | int]] | None = None,
        *,
        max_recipients: int = 10_000,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limiter = limiter or SharedLimiter(MemoryBackend(max_recipients), clock=clock)
        self.overrides = {k: dict(v) for k, v in (overrides or {}).items()}
        self.sleep = sleep

    def effective(self, channel: str, caps: Capabilities) -> Capabilities:
        """The adapter's capabilities with the configured budget of ``channel`` applied."""
        extra = self.overrides.get(channel)
        return replace(caps, **extra) if extra else caps  # type: ignore[arg-type]

    async def acquire(self, channel: str, recipient: str, caps: Capabilities) -> float:
        """Reserve the recipient's slot, then the channel's; sleep until both allow; return the wait."""
        caps = self.effective(channel, caps)
        waited = await self.limiter.pace(recipient_key(channel, recipient), caps.per_recipient_per_second,
                                         caps.per_recipient_burst)
        if waited > 0:
            await self.sleep(waited)
        wait = await self.limiter.pace(f"send:{channel}", caps.rate_per_second, caps.burst)
        if wait > 0:
            await self.sleep(wait)
        return waited + wait
