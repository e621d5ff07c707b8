"""The shared limiter on each backend (memory, Redis, PostgreSQL), on an injected clock: no real waiting."""
from __future__ import annotations

import uuid
from typing import AsyncIterator

import pytest

from bot.limiter import LimiterBackend, MemoryBackend, SharedLimiter
from bot.ratelimit import SendBudget
from adapters.base import Capabilities
from tests.conftest import TEST_PG

REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0  # epoch seconds, like time.time()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def _redis_backend() -> LimiterBackend:
    from bot.limiter_redis import RedisBackend

    backend = RedisBackend.from_url(REDIS_URL, prefix=f"aduan-test-budgets:{uuid.uuid4().hex[:8]}:")
    try:
        await backend.client.ping()
    except Exception as exc:  # noqa: BLE001
        await backend.close()
        pytest.skip(f"no Redis at {REDIS_URL}: {type(exc).__name__}")
    return backend


@pytest.fixture(params=["memory", "redis", "postgresql"])
async def backend(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[LimiterBackend]:
    if request.param == "memory":
        yield MemoryBackend()
        return
    if request.param == "redis":
        backend = await _redis_backend()
        yield backend
        await backend.close()
        return
    if not TEST_PG:
        pytest.skip("PostgreSQL backend: set ADUAN_TEST_DATABASE_URL")
    from bot.limiter_pg import PostgresBackend

    pg = PostgresBackend(database_url)
    yield pg
    await pg.close()


async def test_pace_allows_the_burst_then_the_rate(backend: LimiterBackend) -> None:
    clock = Clock()
    limiter = SharedLimiter(backend, clock=clock)
    waits = [await limiter.pace("send:sms", rate=5, burst=2) for _ in range(6)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2:] == pytest.approx([0.2, 0.4, 0.6, 0.8])  # each reservation one interval later
    clock.now += 10  # idle: the bucket refills, never beyond the burst
    assert [await limiter.pace("send:sms", rate=5, burst=2) for _ in range(3)] == pytest.approx([0, 0, 0.2])
    assert await limiter.pace("send:email", rate=5, burst=1) == 0.0  # another key, its own budget


async def test_a_budget_paced_run_never_exceeds_burst_plus_rate_times_elapsed(backend: LimiterBackend) -> None:
    clock = Clock()
    budget = SendBudget(SharedLimiter(backend, clock=clock), {"partner": {"rate_per_second": 4, "burst": 3}},
                        sleep=clock.sleep)
    caps = Capabilities(rate_per_second=1000, burst=1000, per_recipient_per_second=1000, per_recipient_burst=1000)
    start, sent_at = clock.now, []
    for i in range(40):
        await budget.acquire("partner", f"r{i}", caps)
        sent_at.append(clock.now - start)
    for t in sent_at:
        assert sum(1 for s in sent_at if s <= t) <= 3 + 4 * t + 1e-6
    assert sent_at[-1] == pytest.approx((40 - 3) / 4)


async def test_window_counts_hits_and_tells_when_the_next_fits(backend: LimiterBackend) -> None:
    clock = Clock()
    limit = SharedLimiter(backend, clock=clock).window("form-ip", 3, 3600, clock=clock)
    for _ in range(3):
        assert await limit.wait("203.0.113.9") == 0
        await limit.hit("203.0.113.9")
        clock.now += 60
    assert await limit.wait("203.0.113.9") == 3600 - 180
    assert await limit.wait("198.51.100.1") == 0  # another client
    clock.now += 3600 - 180 + 1  # the first hit left the window
    assert await limit.wait("203.0.113.9") == 0
    assert await limit.take("203.0.113.9") == 0 and await limit.take("203.0.113.9") > 0


async def test_unlimited_rate_never_waits() -> None:
    limiter = SharedLimiter(MemoryBackend(), clock=Clock())
    assert {await limiter.pace("send:email", float("inf"), 1) for _ in range(1000)} == {0.0}
    assert await limiter.pace("send:email", 0, 1) == 0.0


class Broken:
    name = "redis"

    def __init__(self) -> None:
        self.calls = 0
        self.down = True

    async def pace(self, *args: object) -> float:
        self.calls += 1
        if self.down:
            raise ConnectionError("redis down")
        return 0.0

    retry_after = hit = pace

    async def close(self) -> None:
        return None


async def test_a_redis_outage_degrades_to_per_process_limits_and_recovers(caplog: pytest.LogCaptureFixture) -> None:
    clock, broken = Clock(), Broken()
    limiter = SharedLimiter(broken, clock=clock, retry_seconds=30)
    waits = [await limiter.pace("send:sms", rate=1, burst=1) for _ in range(3)]
    assert waits == [0.0, 1.0, 2.0]  # still paced, by this process's memory
    assert broken.calls == 1  # not asked again until the retry time
    assert limiter.health() == {"backend": "redis", "state": "degraded: per-process limits", "error": "ConnectionError"}
    assert sum("unavailable" in r.message for r in caplog.records) == 1  # logged once
    broken.down = False
    clock.now += 31
    assert await limiter.pace("send:sms", rate=1, burst=1) == 0.0
    assert limiter.health()["state"] == "ok" and not limiter.degraded


async def test_redis_unreachable_falls_back_at_once() -> None:
    from bot.limiter_redis import RedisBackend

    closed_port = RedisBackend.from_url("redis://127.0.0.1:1/0", timeout=0.2)
    limiter = SharedLimiter(closed_port, clock=Clock())
    assert await limiter.pace("send:sms", rate=1, burst=1) == 0.0
    assert limiter.degraded and limiter.health()["error"] == "ConnectionError"
    await limiter.close()
