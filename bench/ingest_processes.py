"""`bench/ingest.py --processes N`: one gateway process, then N on one database, fed over HTTP.

Each report goes to process ``i % N``; every fourth is also sent, with the same idempotency
key, to the next process (a provider's redelivery that races in another process). Partner
callbacks (each report's acknowledgement) go to a receiver in this process, which counts
every delivery by its event id. After each run the database is asked (store/integrity.py)
how many tickets exist, whether a provider message was stored twice or a reply queued twice.
"""
from __future__ import annotations

import asyncio
import collections
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from aiohttp import web

from bench.ingest import API_KEY, TEXTS, _free_port, _server, db_kind, line

DELIVERY_WAIT_SECONDS = 180


class CallbackReceiver:
    """The partner's side: counts each acknowledgement by its event id."""

    def __init__(self) -> None:
        self.events: collections.Counter[str] = collections.Counter()
        self._runner: web.AppRunner | None = None

    async def _cb(self, request: web.Request) -> web.Response:
        await request.read()
        self.events[request.headers.get("X-Aduan-Event-Id", "")] += 1
        return web.json_response({"ok": True})

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/cb", self._cb)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = _free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        return f"http://127.0.0.1:{port}/cb"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def _counts(db_url: str) -> dict[str, Any]:
    from store.db import Database
    from store.integrity import duplicate_counts

    db = Database(db_url)
    try:
        return await db.read(duplicate_counts)
    finally:
        await db.close()


async def _feed(ports: list[int], n: int, concurrency: int, run: str) -> tuple[float, list[float], int, int]:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    requests = [(i, ports[i % len(ports)]) for i in range(n)]
    requests += [(i, ports[(i + 1) % len(ports)]) for i in range(0, n, 4)]  # redeliveries elsewhere
    requests.sort(key=lambda r: r[0])
    sem = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers={"authorization": f"Bearer {API_KEY}"},
                                     timeout=aiohttp.ClientTimeout(total=60)) as c:
        async def one(i: int, port: int) -> None:
            nonlocal errors
            async with sem:
                t0 = time.perf_counter()
                async with c.post(f"http://127.0.0.1:{port}/api/v1/reports",
                                  json={"text": TEXTS[i % len(TEXTS)], "reporter_id": f"{run}u{i}",
                                        "idempotency_key": f"{run}k{i}"}) as r:
                    await r.read()
                    if r.status not in (200, 201):
                        errors += 1
                latencies.append(time.perf_counter() - t0)

        start = time.perf_counter()
        await asyncio.gather(*(one(i, port) for i, port in requests))
        elapsed = time.perf_counter() - start
    return elapsed, latencies, len(requests), errors


async def _run(procs: int, n: int, concurrency: int, db_url: str | None) -> float:
    receiver = CallbackReceiver()
    callback = await receiver.start()
    run = f"p{procs}-{int(time.time())}-"
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        url = db_url or f"sqlite:///{tmp / 'bench.db'}"
        servers: list[tuple[asyncio.subprocess.Process, int]] = []
        try:
            for _ in range(procs):  # one after the other: the first applies the migrations
                servers.append(await _server(tmp, url, callback))
            before = await _counts(url)
            elapsed, latencies, sent, errors = await _feed([p for _, p in servers], n, concurrency, run)
            rss = max(psutil.Process(proc.pid).memory_info().rss for proc, _ in servers) / 1e6
            waited = time.perf_counter()
            while len(receiver.events) < n and time.perf_counter() - waited < DELIVERY_WAIT_SECONDS:
                await asyncio.sleep(0.2)
        finally:
            for proc, _ in servers:
                proc.send_signal(signal.SIGTERM)
            for proc, _ in servers:
                await proc.wait()
            await receiver.stop()
        after = await _counts(url)
    rate = sent / elapsed
    print(f"  {procs} process(es): {sent} requests ({n} reports, {sent - n} redeliveries) in {elapsed:.2f}s, "
          f"{errors} errors", file=sys.stderr)
    print(line(rate, latencies, rss, f"http c={concurrency}, {procs} processes", db_kind(url)), flush=True)
    tickets = after["tickets"] - before["tickets"]
    twice = sum(1 for v in receiver.events.values() if v > 1)
    ok = (tickets == n and after["inbound_twice"] == 0 and after["reply_twice"] == 0 and twice == 0
          and len(receiver.events) == n and errors == 0)
    print(f"check ({procs} processes): {tickets} tickets for {n} reports; {after['inbound_twice']} provider "
          f"messages stored twice; {after['reply_twice']} replies queued twice; {len(receiver.events)} "
          f"acknowledgements delivered, {twice} of them twice -> {'OK' if ok else 'FAIL'}", flush=True)
    return rate


async def compare_processes(n: int, concurrency: int, db_url: str | None, procs: int) -> None:
    one = await _run(1, n, concurrency, db_url)
    many = await _run(procs, n, concurrency, db_url)
    print(f"processes: {procs} processes {many:.0f} req/s, 1 process {one:.0f} req/s: {many / one:.2f}x "
          f"({db_kind(db_url)})", flush=True)
