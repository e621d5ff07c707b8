"""Crash safety: SIGKILL the gateway in the middle of a stream of inbound
messages, restart it, and check nothing acknowledged was lost and no reply
was sent twice beyond those in flight at the kill (at most one lane's concurrency)."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path

import httpx
import yaml
from aiohttp import web

from tests.conftest import ADMIN_TOKEN, PARTNER_KEY, ROOT
from tests.harness.fake_api import FakeAPI


# Every outcome is recorded as its send ends, so what a SIGKILL can re-send is
# bounded by the partner lane's concurrency, whatever the backlog.
LANE_CONCURRENCY = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_config(tmp: Path, port: int, callback: str) -> Path:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["instance"]["public_base_url"] = f"http://127.0.0.1:{port}"
    data["http"].update(host="127.0.0.1", port=port)
    data["database"]["url"] = f"sqlite:///{tmp / 'aduan.db'}"
    data["media"]["dir"] = str(tmp / "media")
    data["admin"] = {"api_token": ADMIN_TOKEN}  # /healthz details are for admins only
    data["routing"]["areas_csv"] = str(ROOT / "data" / "jakarta_areas.csv")
    data["outbox"].update(lease_seconds=2, send_timeout_seconds=1, poll_interval_seconds=0.1,
                          sweep_interval_seconds=0.5, lane_concurrency=LANE_CONCURRENCY)
    data["channels"] = {"partner": {"partners": [
        {"name": "jaki", "api_key": PARTNER_KEY, "callback_url": callback, "callback_secret": "s"}]}}
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def _start(config: Path, port: int) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADUAN_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "main.py"), "--config", str(config), "serve",
        cwd=str(ROOT), env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return proc
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    proc.kill()
    raise AssertionError("gateway did not start")


async def test_sigkill_mid_stream_loses_nothing_acknowledged(tmp_path: Path) -> None:
    deliveries: list[str] = []

    def record(req) -> web.Response:
        deliveries.append(req.headers["x-aduan-delivery"])
        return web.json_response({"ok": True})

    async with FakeAPI() as partner:
        partner.expect("POST", "/cb", times=None, handler=record)
        port = _free_port()
        config = _write_config(tmp_path, port, f"{partner.base_url}/cb")
        proc = await _start(config, port)
        acked: dict[str, str] = {}
        stop = asyncio.Event()

        async def client_worker(worker: int) -> None:
            async with httpx.AsyncClient(timeout=10) as client:
                i = 0
                while not stop.is_set():
                    key = f"w{worker}-{i}"
                    i += 1
                    try:
                        r = await client.post(
                            f"http://127.0.0.1:{port}/api/v1/reports",
                            headers={"authorization": f"Bearer {PARTNER_KEY}"},
                            json={"text": f"Sampah menumpuk di Kel. Bangka nomor {key}", "reporter_id": f"u{key}",
                                  "idempotency_key": key})
                    except httpx.HTTPError:
                        return  # the gateway died under us: this one was never acknowledged
                    if r.status_code == 201:
                        acked[key] = r.json()["tracking_id"]

        workers = [asyncio.create_task(client_worker(w)) for w in range(6)]
        while len(acked) < 120:
            await asyncio.sleep(0.02)
        proc.send_signal(signal.SIGKILL)  # no chance to clean up
        await proc.wait()
        stop.set()
        await asyncio.gather(*workers)

        db = sqlite3.connect(tmp_path / "aduan.db")
        in_flight = db.execute("SELECT count(*) FROM message WHERE direction='out' AND status='sending'").fetchone()[0]
        db.close()

        proc = await _start(config, port)
        try:
            async with httpx.AsyncClient() as client:
                for _ in range(400):
                    health = (await client.get(f"http://127.0.0.1:{port}/healthz",
                                               headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})).json()
                    pending = {k: v for k, v in health["outbox"].items() if k in ("queued", "sending")}
                    if not pending:
                        break
                    await asyncio.sleep(0.1)
                else:
                    raise AssertionError(f"outbox did not drain: {health['outbox']}")
        finally:
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 30) == 0  # graceful shutdown exits cleanly

    db = sqlite3.connect(tmp_path / "aduan.db")
    stored = dict(db.execute(
        "SELECT m.external_id, t.tracking_id FROM message m JOIN ticket t ON t.id = m.ticket_id "
        "WHERE m.direction='in' AND m.channel='partner'").fetchall())
    queued = {str(r[0]) for r in db.execute("SELECT id FROM message WHERE direction='out'").fetchall()}
    leftover = db.execute("SELECT count(*) FROM message WHERE direction='out' AND status NOT IN ('sent')").fetchone()[0]
    db.close()

    # Every acknowledged message has its ticket, with the ID the client was given.
    for key, tracking_id in acked.items():
        assert stored.get(f"jaki:{key}") == tracking_id, key
    # The fake provider received every queued reply...
    assert queued <= set(deliveries) and leftover == 0
    # ...and nothing twice beyond what was in flight at the kill.
    duplicates = len(deliveries) - len(set(deliveries))
    print(f"\ncrash test: {len(acked)} acknowledged, {len(queued)} callbacks queued, "
          f"{in_flight} in flight at SIGKILL, {duplicates} delivered twice")
    assert duplicates <= in_flight <= LANE_CONCURRENCY
