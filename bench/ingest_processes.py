"""`bench/ingest.py --processes N`: one gateway process, then N on one database, fed over HTTP.

Each report goes to process ``i % N``; every fourth (``--redeliver-every``; 0: none) is also sent,
with the same idempotency key, to the next process (a provider's redelivery that races in another
process: on PostgreSQL its insert waits for the other process's group to commit). Partner
callbacks (each report's acknowledgement) go to a receiver in this process, which counts
every delivery by its event id. After each run the database is asked (store/integrity.py)
how many tickets exist, whether a provider message was stored twice or a reply queued twice.

The partner callbacks' send budget (``--callback-rate``) is off by default, so every acknowledgement
must arrive; with a budget the check is that both processes together kept to it over 5 s windows (the partner
adapter's default, 20/s, would need five minutes for 6,000). Each run also prints how busy the
machine's cores were while it was fed: on 2 cores one gateway, PostgreSQL and the load generator
can already fill them, and then a second process has no core to scale onto.
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
import yaml
from aiohttp import web

from bench.ingest import API_KEY, ROOT, TEXTS, _free_port, _server, callback_burst, db_kind, line

DELIVERY_WAIT_SECONDS = 180


class CallbackReceiver:
    """The partner's side: counts each acknowledgement by its event id."""

    def __init__(self) -> None:
        self.events: collections.Counter[str] = collections.Counter()
        self.times: list[float] = []  # monotonic time of each delivery, to check the send budget
        self._runner: web.AppRunner | None = None

    async def _cb(self, request: web.Request) -> web.Response:
        await request.read()
        self.events[request.headers.get("X-Aduan-Event-Id", "")] += 1
        self.times.append(time.monotonic())
        return web.json_response({"ok": True})

    def most_in_window(self, seconds: float) -> int:
        """The most deliveries seen in any window of ``seconds`` (sliding, from each delivery)."""
        times, most, start = sorted(self.times), 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= seconds:
                start += 1
            most = max(most, end - start + 1)
        return most

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


async def _feed(ports: list[int], n: int, concurrency: int, run: str,
                redeliver_every: int) -> tuple[float, list[float], int, int]:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    requests = [(i, ports[i % len(ports)]) for i in range(n)]
    if redeliver_every:  # redeliveries racing in the other process
        requests += [(i, ports[(i + 1) % len(ports)]) for i in range(0, n, redeliver_every)]
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


async def _run(procs: int, n: int, concurrency: int, db_url: str | None, callback_rate: float,
               redeliver_every: int) -> float:
    receiver = CallbackReceiver()
    callback = await receiver.start()
    run = f"p{procs}-{int(time.time())}-"
    # With a budget, give the backlog the time the budget needs (plus a margin), up to 10 minutes.
    wait = DELIVERY_WAIT_SECONDS if not callback_rate else min(600.0, n / callback_rate + 60)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        url = db_url or f"sqlite:///{tmp / 'bench.db'}"
        servers: list[tuple[asyncio.subprocess.Process, int]] = []
        try:
            for _ in range(procs):  # one after the other: the first applies the migrations
                servers.append(await _server(tmp, url, callback, callback_rate))
            before = await _counts(url)
            cpu_before, roles_before = psutil.cpu_times(), _cpu_by_role([proc.pid for proc, _ in servers])
            elapsed, latencies, sent, errors = await _feed([p for _, p in servers], n, concurrency, run,
                                                             redeliver_every)
            busy = _machine_busy(cpu_before, psutil.cpu_times())
            roles = {k: (v - roles_before.get(k, 0.0)) / elapsed
                     for k, v in _cpu_by_role([proc.pid for proc, _ in servers]).items()}
            rss = max(psutil.Process(proc.pid).memory_info().rss for proc, _ in servers) / 1e6
            waited = time.perf_counter()
            while len(receiver.events) < n and time.perf_counter() - waited < wait:
                await asyncio.sleep(0.2)
            delivery_s = time.perf_counter() - waited
        finally:
            for proc, _ in servers:
                proc.send_signal(signal.SIGTERM)
            for proc, _ in servers:
                await proc.wait()
            await receiver.stop()
        after = await _counts(url)
    rate = sent / elapsed
    print(f"  {procs} process(es): {sent} requests ({n} reports, {sent - n} redeliveries) in {elapsed:.2f}s, "
          f"{errors} errors; the machine's {psutil.cpu_count()} cores {busy:.0f} % busy meanwhile, in cores: "
          + ", ".join(f"{k} {v:.2f}" for k, v in roles.items()), file=sys.stderr)
    print(line(rate, latencies, rss, f"http c={concurrency}, {procs} processes", db_kind(url)), flush=True)
    tickets = after["tickets"] - before["tickets"]
    twice = sum(1 for v in receiver.events.values() if v > 1)
    delivered = len(receiver.events)
    if callback_rate:
        # A token bucket of burst = rate lets at most burst + rate x W through in any W seconds. Arrival
        # times jitter by the send's own latency, so allow the lane's concurrent sends on top; two processes
        # each spending their own budget would show about twice the bound.
        window = 5.0
        most = receiver.most_in_window(window)
        bound = callback_burst(callback_rate) + callback_rate * window + _lane_concurrency()
        budget_ok = most <= bound
        budget = (f"budget {callback_rate:g}/s for both processes: at most {most} in any {window:g} s, bound "
                  f"{bound:.0f} ({'kept' if budget_ok else 'EXCEEDED'}); ")
    else:
        budget_ok, budget = True, "no callback budget; "
    ok = (tickets == n and after["inbound_twice"] == 0 and after["reply_twice"] == 0 and twice == 0
          and delivered == n and errors == 0 and budget_ok)
    print(f"check ({procs} processes): {tickets} tickets for {n} reports; {after['inbound_twice']} provider "
          f"messages stored twice; {after['reply_twice']} replies queued twice; {budget}{delivered} "
          f"acknowledgements delivered ({delivery_s:.0f} s after the last request), {twice} of them twice "
          f"-> {'OK' if ok else 'FAIL'}", flush=True)
    return rate


def _lane_concurrency() -> int:
    """The partner lane's concurrent sends (config.yaml outbox.lane_concurrency, which the bench runs with)."""
    return int(yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["outbox"]["lane_concurrency"])


def _cpu_by_role(gateway_pids: list[int]) -> dict[str, float]:
    """CPU seconds used so far by the gateways (with their workers), the PostgreSQL server and this process."""
    def cpu(p: psutil.Process) -> float:
        try:
            t = p.cpu_times()
            return t.user + t.system
        except psutil.Error:  # a backend or worker that just ended
            return 0.0

    gateways = [psutil.Process(pid) for pid in gateway_pids]
    gateway_tree = gateways + [c for g in gateways for c in g.children(recursive=True)]
    postgres = [p for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith("postgres")]
    return {"gateways": sum(map(cpu, gateway_tree)), "postgresql": sum(map(cpu, postgres)),
            "load generator": cpu(psutil.Process())}


def _machine_busy(before: Any, after: Any) -> float:
    """Percent of all cores' time not idle between two psutil.cpu_times() readings."""
    idle = (after.idle + getattr(after, "iowait", 0)) - (before.idle + getattr(before, "iowait", 0))
    total = sum(after) - sum(before)
    return 100.0 * (1 - idle / total) if total > 0 else 0.0


async def compare_processes(n: int, concurrency: int, db_url: str | None, procs: int,
                            callback_rate: float = 0, redeliver_every: int = 4) -> None:
    one = await _run(1, n, concurrency, db_url, callback_rate, redeliver_every)
    many = await _run(procs, n, concurrency, db_url, callback_rate, redeliver_every)
    print(f"processes: {procs} processes {many:.0f} req/s, 1 process {one:.0f} req/s: {many / one:.2f}x "
          f"({db_kind(db_url)})", flush=True)
