"""Send budgets from capabilities, on an injected clock (no real waiting)."""
from __future__ import annotations

from adapters.base import Capabilities
from bot.ratelimit import SendBudget


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_per_recipient_rate_is_honoured():
    t = VirtualTime()
    budget = SendBudget(clock=t.clock, sleep=t.sleep)
    caps = Capabilities(rate_per_second=30, burst=30, per_recipient_per_second=1, per_recipient_burst=1)
    for _ in range(5):
        await budget.acquire("telegram", "chat-1", caps)
    assert t.now == 4.0  # 1 per second per chat after the first
    await budget.acquire("telegram", "chat-2", caps)
    assert t.now == 4.0  # another chat is not held back


async def test_channel_rate_with_burst():
    t = VirtualTime()
    budget = SendBudget(clock=t.clock, sleep=t.sleep)
    caps = Capabilities(rate_per_second=10, burst=5, per_recipient_per_second=1000, per_recipient_burst=1000)
    for i in range(15):
        await budget.acquire("sms", f"+62{i}", caps)
    # 5 go at once, the other 10 at 10/s
    assert abs(t.now - 1.0) < 1e-9
