"""Background start-up retries: capped exponential backoff on an injected sleep,
and a reason in /healthz that never quotes the exception text (it may hold a token)."""
from __future__ import annotations

import asyncio

from adapters.base import ChannelAdapter
from bot.config import StartupConfig
from bot.startup import ChannelStartup


class Flaky(ChannelAdapter):
    name = "flaky"

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.starts = failures, error, 0

    async def start(self) -> None:
        self.starts += 1
        if self.starts <= self.failures:
            raise self.error


class Hanging(ChannelAdapter):
    name = "hanging"

    async def start(self) -> None:
        await asyncio.Event().wait()


async def test_retries_back_off_exponentially_up_to_the_cap():
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    flaky = Flaky(10, ConnectionRefusedError("token 123:ABC refused"))
    startup = ChannelStartup(lambda: [flaky], StartupConfig(retry_initial_seconds=2, retry_max_seconds=300),
                             sleep=sleep)
    await startup.start_all()
    assert startup.degraded()["flaky"]["reason"] == "start-up failed: ConnectionRefusedError"
    assert "123:ABC" not in str(startup.degraded())
    await asyncio.wait_for(startup.wait_started("flaky"), 5)
    assert flaky.starts == 11
    assert delays == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert startup.degraded() == {} and startup.is_started("flaky")
    await startup.stop()


async def test_a_hanging_start_times_out_and_stop_cancels_the_retry():
    gate = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await gate.wait()

    startup = ChannelStartup(lambda: [Hanging()], StartupConfig(adapter_timeout_seconds=0.05), sleep=sleep)
    await startup.start_all()
    assert startup.degraded() == {"hanging": {"reason": "start-up timed out after 0.05 s", "attempts": 1,
                                              "retry_in_seconds": 2}}
    await startup.stop()  # no task left behind waiting on the sleep
    assert not startup.is_started("hanging")
