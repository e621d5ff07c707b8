"""Issue 16, point 5: budgets hold for the whole deployment. Two real gateway processes share one
database and one limiter (Redis, or PostgreSQL); the fake provider counts what it receives.

No tight timing: the send budget is checked over the whole run (sends <= burst + rate x elapsed,
with slack), where per-process budgets would have finished in half the time."""
from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
import yaml
from aiohttp import web

from bot.gateway import Gateway
from bot.models import InboundMessage
from tests.conftest import ADMIN_TOKEN, ROOT, TEST_PG, _merge, _RAW_CONFIG, make_config
from tests.harness.waiting import eventually
from tests.web.conftest import WEB_SECRET, hidden

REDIS_URL = "redis://127.0.0.1:6379/0"
RATE, BURST, REPLIES = 5, 1, 25
pytestmark = pytest.mark.timeout(300)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Callbacks:
    """The partner's callback endpoint: records when each notification arrived."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, int]] = []  # (monotonic time, delivery id)
        self.port = _free_port()
        self._runner: web.AppRunner | None = None

    async def _receive(self, request: web.Request) -> web.Response:
        self.arrivals.append((time.monotonic(), int(request.headers["x-aduan-delivery"])))
        await request.read()
        return web.json_response({"ok": True})

    async def __aenter__(self) -> "Callbacks":
        app = web.Application()
        app.router.add_post("/callback", self._receive)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


def _settings(tmp: Path, database_url: str, backend: str, callback: str) -> dict[str, Any]:
    return {
        "database": {"url": database_url},
        "media": {"dir": str(tmp / "media")},
        "routing": {"areas_csv": str(ROOT / "data" / "jakarta_areas.csv")},
        "admin": {"api_token": ADMIN_TOKEN},
        "web": {"secret_key": WEB_SECRET, "form_reports_per_hour_per_ip": 3, "login_failures_per_hour_per_ip": 2,
                "tracking_lookups_per_minute_per_ip": 4},
        "redis": {"url": REDIS_URL if backend == "redis" else "",
                  "key_prefix": f"aduan-test-budgets:{uuid.uuid4().hex[:8]}:"},
        "outbox": {"poll_interval_seconds": 0.2,
                   "lanes": {"partner": {"rate_per_second": RATE, "burst": BURST, "per_recipient_per_second": 100}}},
        "channels": {"email": {"enabled": False}, "partner": {"partners": [{"name": "jaki", "api_key": "test-partner-key-0123456789",
                                               "callback_url": callback, "callback_secret": "cb-secret"}]}},
    }


async def _redis_up() -> bool:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        return bool(await client.ping())
    except Exception:  # noqa: BLE001
        return False
    finally:
        await client.aclose()


class Deployment:
    """Two gateway processes on one config (each its own port)."""

    def __init__(self, tmp: Path, settings: dict[str, Any]) -> None:
        self.tmp, self.settings = tmp, settings
        self.ports = [_free_port(), _free_port()]
        self.procs: list[asyncio.subprocess.Process] = []

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADUAN_")}
        env["ADUAN_LOG_LEVEL"] = "WARNING"
        for i, port in enumerate(self.ports):
            data = _merge(_merge(_RAW_CONFIG, self.settings), {"http": {"host": "127.0.0.1", "port": port}})
            path = self.tmp / f"gateway{i}.yaml"
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            self.procs.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.harness.gateway_process", str(path), cwd=str(ROOT), env=env))
        async with httpx.AsyncClient() as c:
            for port in self.ports:
                for _ in range(600):
                    try:
                        if (await c.get(f"http://127.0.0.1:{port}/livez")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise AssertionError(f"gateway on port {port} never answered")

    async def stop(self) -> None:
        for proc in self.procs:
            if proc.returncode is None:
                proc.terminate()
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i % 2]}"


@pytest.fixture(params=["redis", "postgresql"])
async def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not TEST_PG:
        pytest.skip("the PostgreSQL backend needs ADUAN_TEST_DATABASE_URL")
    if request.param == "redis" and not await _redis_up():
        pytest.skip(f"no Redis at {REDIS_URL}")
    return str(request.param)


@pytest.fixture
async def deployment(tmp_path: Path, database_url: str, backend: str) -> AsyncIterator[tuple[Deployment, Callbacks]]:
    async with Callbacks() as callbacks:
        settings = _settings(tmp_path, database_url, backend, f"http://127.0.0.1:{callbacks.port}/callback")
        deployment = Deployment(tmp_path, settings)
        try:
            yield deployment, callbacks
        finally:
            await deployment.stop()


async def _queue_replies(tmp: Path, settings: dict[str, Any], n: int) -> None:
    """n partner reports, each queueing one acknowledgement to the callback, before any process sends."""
    cfg = make_config(tmp, settings["database"]["url"], **{k: v for k, v in settings.items() if k != "database"})
    gw = Gateway(cfg, adapter_deps={"allow_private_hosts": True})
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    try:
        await gw.intake.submit([InboundMessage(channel="partner", external_id=f"budget-{i}", sender=f"jaki:warga-{i}",
                                               text="Sampah menumpuk di Jl. Kemang Raya Kel. Bangka", standalone=True)
                                for i in range(n)])
    finally:
        await gw.stop()


async def _lane_sent(url: str) -> int:
    async with httpx.AsyncClient() as c:
        health = (await c.get(f"{url}/healthz", headers={"authorization": f"Bearer {ADMIN_TOKEN}"})).json()
    assert health["rate_limits"]["state"] == "ok", health["rate_limits"]
    return int(health["lanes"]["partner"]["sent"])


async def test_two_processes_keep_one_send_budget(deployment: tuple[Deployment, Callbacks], tmp_path: Path) -> None:
    gateways, callbacks = deployment
    await _queue_replies(tmp_path, gateways.settings, REPLIES)
    await gateways.start()
    await eventually(lambda: len(callbacks.arrivals) >= REPLIES, "every reply delivered", tries=12_000)
    times = [t for t, _ in callbacks.arrivals]
    elapsed = times[-1] - times[0]
    assert sorted(d for _, d in callbacks.arrivals) == sorted({d for _, d in callbacks.arrivals})  # no repeats
    # GCRA: sends <= burst + rate x elapsed, measured at the fake, where arrivals lag their reservations by a
    # varying delay on a loaded machine (seen: 25 in 3.83 s at load 9, a first send late by ~0.4 s). So one extra
    # send and a second of lag are allowed, with 10 % slack on the clock. Per-process budgets (twice the rate:
    # 25 in ~2.4 s) still fail this by a wide margin.
    JITTER_S = 1.0
    assert REPLIES <= BURST + 1 + RATE * (elapsed + JITTER_S) * 1.1, f"{REPLIES} replies in {elapsed:.2f}s"
    # No 1-second window far above the budget (a loose check: arrival times jitter under load).
    assert max(sum(1 for u in times if t <= u < t + 1) for t in times) <= 2 * RATE + BURST
    sent = [await _lane_sent(gateways.url(i)) for i in range(2)]
    assert sum(sent) == REPLIES and min(sent) > 0, sent  # both processes sent, within one budget


async def _lapor(c: httpx.AsyncClient, url: str) -> httpx.Response:
    form = await c.get(f"{url}/lapor")
    data = {"csrf": hidden(form.text, "csrf"), "description": "Lampu jalan mati di Jl. Kemang Raya", "contact": "none"}
    return await c.post(f"{url}/lapor", data=data, files={"photo": ("", b"", "application/octet-stream")})


async def _failed_login(c: httpx.AsyncClient, url: str) -> int:
    form = await c.get(f"{url}/masuk")
    r = await c.post(f"{url}/masuk", data={"csrf": hidden(form.text, "csrf", "/masuk"), "login": "nobody",
                                           "password": "salah-terus"})
    return r.status_code


async def test_client_limits_hold_across_two_processes(deployment: tuple[Deployment, Callbacks]) -> None:
    gateways, _ = deployment
    await gateways.start()
    async with httpx.AsyncClient(timeout=30) as c:
        sent = [await _lapor(c, gateways.url(i)) for i in range(3)]  # the limit is 3 per hour, A B A
        assert [r.status_code for r in sent] == [303, 303, 303]
        refused = await _lapor(c, gateways.url(3))
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 3000
        assert [await _failed_login(c, gateways.url(i)) for i in range(3)] == [401, 401, 429]
        tid = sent[0].headers["location"].split("/")[3].split("?")[0]
        lookups = [(await c.get(f"{gateways.url(i)}/api/v1/tickets/{tid}")).status_code for i in range(5)]
        assert lookups == [200, 200, 200, 200, 429]
