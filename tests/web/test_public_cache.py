"""Issue 16: a burst of anonymous requests for one public page costs one computation.

Counted on the computation itself (``queries.dashboard``, ``bot.reports.performance``); expiry follows the
injected clock, never wall time."""
from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

import httpx
import pytest

from adapters.partner import PartnerAdapter
from bot.gateway import Gateway
from bot.public_cache import PublicCache
from tests.conftest import make_config


@pytest.fixture
async def cached_client(tmp_path, database_url, clock) -> AsyncIterator[tuple[httpx.AsyncClient, Gateway]]:
    from bot.http.app import create_app

    config = make_config(tmp_path, database_url, http={"public_cache_seconds": 5})
    gw = Gateway(config, clock=clock, database_url=database_url,
                 adapters=[(PartnerAdapter(config.channels.partner, allow_private_hosts=True), [])])
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(gw)),
                                     base_url="http://aduan.test") as c:
            yield c, gw
    finally:
        await gw.stop()


def _count_calls(monkeypatch, module: Any, name: str) -> list[int]:
    calls: list[int] = []
    real = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


async def test_burst_of_dashboard_requests_costs_one_computation(cached_client, clock, monkeypatch):
    from bot.web import queries

    client, _gw = cached_client
    calls = _count_calls(monkeypatch, queries, "dashboard")
    pages = await asyncio.gather(*[client.get("/dashboard") for _ in range(12)])
    assert {p.status_code for p in pages} == {200} and len({p.text for p in pages}) == 1
    csvs = await asyncio.gather(*[client.get("/dashboard.csv") for _ in range(5)])
    assert {c.status_code for c in csvs} == {200} and csvs[0].text.startswith("area_code,")
    assert len(calls) == 2  # one for the page, one for the CSV
    clock.advance(seconds=4)
    await client.get("/dashboard")
    assert len(calls) == 2
    clock.advance(seconds=2)  # 6 s after: computed again
    await asyncio.gather(*[client.get("/dashboard") for _ in range(3)])
    assert len(calls) == 3


async def test_burst_of_performance_requests_costs_one_computation(cached_client, monkeypatch):
    import bot.reports

    client, _gw = cached_client
    calls = _count_calls(monkeypatch, bot.reports, "performance")
    got = await asyncio.gather(*[client.get("/api/v1/performance?since=2026-01-01") for _ in range(8)])
    assert {g.status_code for g in got} == {200}
    assert len(calls) == 1
    await client.get("/api/v1/performance?since=2026-02-01")  # another page: its own computation
    assert len(calls) == 2


async def test_single_flight_shares_the_result_and_the_failure(clock):
    cache = PublicCache(5, clock.now)
    gate = asyncio.Event()
    runs: list[int] = []

    async def compute() -> int:
        runs.append(1)
        await gate.wait()
        return len(runs)

    waiting = [asyncio.ensure_future(cache.get("k", compute)) for _ in range(6)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiting) == [1] * 6 and len(runs) == 1

    async def broken() -> int:
        runs.append(1)
        await asyncio.sleep(0)
        raise RuntimeError("database gone")

    failing = [asyncio.ensure_future(cache.get("other", broken)) for _ in range(3)]
    results = await asyncio.gather(*failing, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results) and len(runs) == 2
    with pytest.raises(RuntimeError):  # a failure is not cached: the next request computes again
        await cache.get("other", broken)
    assert len(runs) == 3
    assert await PublicCache(0, clock.now).get("k", compute) == 4  # 0 seconds: off
