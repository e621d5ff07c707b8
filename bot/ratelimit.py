"""Per-channel and per-recipient send budgets, from adapters' capabilities."""
from __future__ import annotations

from collections import OrderedDict

from aiolimiter import AsyncLimiter

from adapters.base import Capabilities


class SendBudget:
    """Waits until a send to ``recipient`` on ``channel`` is within both budgets."""

    def __init__(self, max_recipients: int = 10_000) -> None:
        self._channels: dict[str, AsyncLimiter] = {}
        self._recipients: OrderedDict[tuple[str, str], AsyncLimiter] = OrderedDict()
        self._max_recipients = max_recipients

    @staticmethod
    def _limiter(rate: float, burst: int) -> AsyncLimiter:
        burst = max(1, burst)
        return AsyncLimiter(burst, burst / rate)

    async def acquire(self, channel: str, recipient: str, caps: Capabilities) -> None:
        ch = self._channels.get(channel)
        if ch is None:
            ch = self._channels[channel] = self._limiter(caps.rate_per_second, caps.burst)
        key = (channel, recipient)
        rl = self._recipients.get(key)
        if rl is None:
            rl = self._recipients[key] = self._limiter(caps.per_recipient_per_second, caps.per_recipient_burst)
            if len(self._recipients) > self._max_recipients:
                self._recipients.popitem(last=False)
        else:
            self._recipients.move_to_end(key)
        await rl.acquire()
        await ch.acquire()
