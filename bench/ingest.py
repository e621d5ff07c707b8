"""Ingest benchmark: inbound messages through the intake pipeline.

Modes:
  inprocess  N messages submitted concurrently straight into intake (durable SQLite commits); --geo gives them
             coordinates near open reports, --duplicates off skips the possible-duplicate lookup (issue 15)
  http       N reports POSTed to the partner API of a gateway subprocess by concurrent clients
  paced      open-loop load at a fixed rate (default 200 msg/s) over HTTP, for latency

Each mode prints one line; the last line is exactly:
  ingest: <msgs_per_s> msg/s p50 <ms> ms p99 <ms> ms rss <MB> MB (<mode>, <db>)

--processes 2 (http mode): one gateway process, then two on the same database, each fed
half the reports; a quarter of the reports is also sent to the other process (a redelivery
racing in another process). Partner callbacks (the acknowledgements) go to a local receiver.
Prints both rates and their ratio, then a check line: tickets against distinct reports,
provider messages stored twice, replies queued twice, callbacks delivered twice.

First printed: the load average, a CPU calibration figure and the database kind; on PostgreSQL with the
server's autovacuum off, a line saying the bench runs ANALYZE itself every 5 s (``--pg-analyze``).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

from typing import Any

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ would come first on sys.path, and bench/email.py would shadow the standard
# library's ``email`` package for everything imported below: the checkout's root instead.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench._env import checkout_data_paths, print_env  # noqa: E402


TEXTS = [
    "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka Kec. Mampang Prapatan sudah 3 hari",
    "jalan berlubang parah di jl raya bogor dekat halte, kel. kramat jati",
    "Parkir liar di trotoar Jl. Sabang Kel. Kebon Sirih, pejalan kaki susah lewat",
    "lampu pju mati sepanjang jalan kec tebet udah seminggu",
    "Pohon tumbang menutup jalan di Kel. Cipete Utara",
    "got mampet bau banget di gg kelinci pasar baru",
]
API_KEY = "bench-partner-key-0123456789"


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def line(rate: float, lat: list[float], rss_mb: float, mode: str, db: str) -> str:
    return (f"ingest: {rate:.0f} msg/s p50 {percentile(lat, 0.5) * 1000:.1f} ms "
            f"p99 {percentile(lat, 0.99) * 1000:.1f} ms rss {rss_mb:.0f} MB ({mode}, {db})")


LOOKUP_PROCESS: bool | None = None  # --lookup-process: overrides duplicates.lookup_process


def callback_burst(rate: float) -> int:
    """--callback-rate: the bucket holds one second's worth."""
    return max(1, int(rate))


def bench_config(tmp: Path, port: int, db_url: str | None, callback_url: str | None = None,
                 duplicates: bool = True, callback_rate: float | None = None) -> Path:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["duplicates"]["enabled"] = duplicates  # --duplicates off: intake without the possible-duplicate lookup
    if LOOKUP_PROCESS is not None:
        data["duplicates"]["lookup_process"] = LOOKUP_PROCESS
    data["http"].update(host="127.0.0.1", port=port)
    data["database"]["url"] = db_url or f"sqlite:///{tmp / 'bench.db'}"
    data["media"]["dir"] = str(tmp / "media")
    checkout_data_paths(data)
    partner = {"name": "bench", "api_key": API_KEY}
    if callback_url:
        partner.update(callback_url=callback_url, callback_secret="bench-callback-secret")
    data["channels"] = {"partner": {"partners": [partner]}}
    if callback_rate is not None:  # --processes: the partner callbacks' send budget (0: none)
        lane: dict[str, float] = {"rate_per_second": callback_rate}
        if callback_rate:
            lane["burst"] = callback_burst(callback_rate)
        data["outbox"]["lanes"] = {"partner": lane}
    path = tmp / f"config-{port}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# --geo: reports carry coordinates about 20 m from open reports already in the database (a sample of them),
# else from random points in Jakarta, so the possible-duplicate lookup reads real index ranges.
JAKARTA = (-6.37, -6.08, 106.68, 106.97)
GEO_SAMPLE = 5000


def geo_points(conn: Any, n: int, seed: int = 15) -> list[tuple[float, float]]:
    import random

    from sqlalchemy import text as sql

    from store.tables import OPEN_CONDITION

    rng = random.Random(seed)
    rows = conn.execute(sql(f"SELECT latitude, longitude FROM ticket WHERE {OPEN_CONDITION} AND latitude IS NOT NULL "
                            f"ORDER BY id LIMIT {GEO_SAMPLE}")).all()  # the history's, not an earlier run's
    bases = [(r[0], r[1]) for r in rows] or [(rng.uniform(*JAKARTA[:2]), rng.uniform(*JAKARTA[2:]))
                                             for _ in range(GEO_SAMPLE)]
    return [(lat + rng.uniform(-0.00018, 0.00018), lon + rng.uniform(-0.00018, 0.00018))
            for lat, lon in (bases[i % len(bases)] for i in range(n))]


async def run_inprocess(n: int, concurrency: int, tmp: Path, db_url: str | None, *, geo: bool = False,
                        duplicates: bool = True) -> str:
    from bot.config import load_config, resolved_database_url
    from bot.gateway import Gateway
    from bot.models import InboundMessage
    from store.migrate import upgrade

    cfg = load_config(str(bench_config(tmp, 0, db_url, duplicates=duplicates)))
    url = resolved_database_url(cfg)
    await asyncio.to_thread(upgrade, url)  # Alembic runs its own loop for asyncpg
    gw = Gateway(cfg)
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    points = await gw.db.read(geo_points, n) if geo else []
    latencies: list[float] = []
    sem = asyncio.Semaphore(concurrency)
    run = time.time_ns()  # external ids unique per run: a database reused across runs takes every message

    async def one(i: int) -> None:
        lat, lon = points[i] if points else (None, None)
        msg = InboundMessage(channel="partner", external_id=f"bench:{run}:{i}", sender=f"bench:u{i}",
                             text=TEXTS[i % len(TEXTS)], standalone=True, latitude=lat, longitude=lon)
        async with sem:
            t0 = time.perf_counter()
            await gw.intake.submit([msg])
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    # Counted until the last possible-duplicate links are written too: they are looked up after each commit,
    # off the writer, and a rate that left a backlog of them behind would flatter the lookup.
    await gw.intake.settled()
    elapsed = time.perf_counter() - start
    rss = psutil.Process().memory_info().rss / 1e6
    batches = gw.intake.batches
    await gw.stop()
    print(f"  inprocess: {n} messages in {elapsed:.2f}s, {batches} commits (mean batch {n / max(1, batches):.0f})",
          file=sys.stderr)
    mode = "inprocess" + (", geo" if geo else "") + ("" if duplicates else ", duplicates off")
    return line(n / elapsed, latencies, rss, mode, gw.db.dialect)


async def run_inprocess_paired(n: int, rounds: int, tmp: Path, db_url: str | None, *, geo: bool = False) -> str:
    """In-process ingest with the possible-duplicate lookup on and off in alternating rounds of one gateway
    (on, off, off, on, ...): a shared machine's load drifts during a run, and alternating short rounds in one
    process meet the same drift, where separate runs minutes apart do not. Each round's time runs until its
    links are written. The history grows by every round, on or off alike."""
    from bot.config import load_config, resolved_database_url
    from bot.gateway import Gateway
    from bot.models import InboundMessage
    from store.migrate import upgrade

    cfg = load_config(str(bench_config(tmp, 0, db_url, duplicates=True)))
    await asyncio.to_thread(upgrade, resolved_database_url(cfg))
    gw = Gateway(cfg)
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    per_round = max(1, n // (2 * rounds))
    points = await gw.db.read(geo_points, per_round * 2 * rounds) if geo else []
    run = time.time_ns()
    rates: dict[bool, list[float]] = {True: [], False: []}
    cpu_ms: dict[bool, list[float]] = {True: [], False: []}  # process CPU per message: steadier than wall on a busy machine
    worker_ms: dict[bool, list[float]] = {True: [], False: []}  # the lookup process's CPU (another core)
    commits: dict[bool, int] = {True: 0, False: 0}
    sem = asyncio.Semaphore(256)

    async def one(i: int) -> None:
        lat, lon = points[i] if points else (None, None)
        msg = InboundMessage(channel="partner", external_id=f"bench:{run}:{i}", sender=f"bench:u{i}",
                             text=TEXTS[i % len(TEXTS)], standalone=True, latitude=lat, longitude=lon)
        async with sem:
            await gw.intake.submit([msg])

    for r in range(2 * rounds):
        lookup = r % 4 in (0, 3)  # on, off, off, on: a drift within a pair of rounds cancels out
        object.__setattr__(cfg.duplicates, "enabled", lookup)  # what duplicates.enabled: false does at intake
        start, cpu, batches = time.perf_counter(), time.process_time(), gw.intake.batches
        worker_cpu = lookup_worker_cpu(gw)
        await asyncio.gather(*(one(i) for i in range(r * per_round, (r + 1) * per_round)))
        if hasattr(gw.intake, "settled"):  # (a tree where the lookup ran inside the commit has nothing to wait for)
            await gw.intake.settled()
        rates[lookup].append(per_round / (time.perf_counter() - start))
        cpu_ms[lookup].append((time.process_time() - cpu) * 1000 / per_round)
        worker_ms[lookup].append((lookup_worker_cpu(gw) - worker_cpu) * 1000 / per_round)
        commits[lookup] += gw.intake.batches - batches
        print(f"  round {r + 1}: duplicates {'on ' if lookup else 'off'} {rates[lookup][-1]:.0f} msg/s, "
              f"{cpu_ms[lookup][-1]:.3f} ms CPU/msg, lookup process {worker_ms[lookup][-1]:.3f} ms", file=sys.stderr)
    await gw.stop()
    on, off = statistics.median(rates[True]), statistics.median(rates[False])
    cpu_on, cpu_off = statistics.median(cpu_ms[True]), statistics.median(cpu_ms[False])
    print(f"  CPU per message: duplicates on {cpu_on:.3f} ms, off {cpu_off:.3f} ms ({(cpu_on / cpu_off - 1) * 100:+.1f} %); "
          f"mean group commit on {per_round * rounds / max(1, commits[True]):.0f}, "
          f"off {per_round * rounds / max(1, commits[False]):.0f} messages; the lookup process (duplicates."
          f"lookup_process: {cfg.duplicates.lookup_process}) {statistics.median(worker_ms[True]):.3f} ms CPU per "
          f"message on, {statistics.median(worker_ms[False]):.3f} off", file=sys.stderr)
    return (f"ingest: duplicates on {on:.0f} msg/s, off {off:.0f} msg/s ({(on / off - 1) * 100:+.1f} %), medians of "
            f"{rounds} rounds of {per_round} each (inprocess{', geo' if geo else ''}, {gw.db.dialect})")


def lookup_worker_cpu(gw: Any) -> float:
    """Seconds of CPU the duplicate lookup's worker process has used (bot/duplicate_worker.py), if there is one."""
    worker = getattr(getattr(gw.intake, "lookups", None), "worker", None)
    total = 0.0
    for pid in worker.pids() if worker is not None else []:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _server(tmp: Path, db_url: str | None, callback_url: str | None = None,
                  callback_rate: float | None = None) -> tuple[asyncio.subprocess.Process, int]:
    import httpx

    port = _free_port()
    cfg = bench_config(tmp, port, db_url, callback_url, callback_rate=callback_rate)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADUAN_")}
    env["ADUAN_LOG_LEVEL"] = "WARNING"
    proc = await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "main.py"), "--config", str(cfg), "serve",
                                                cwd=str(ROOT), env=env)
    async with httpx.AsyncClient() as c:
        for _ in range(300):
            try:
                if (await c.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return proc, port
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("gateway did not start")


async def run_http(n: int, concurrency: int, tmp: Path, db_url: str | None, rate: float | None) -> str:
    # aiohttp rather than httpx as the load generator: httpx's per-request CPU
    # cost made the client, not the gateway, the bottleneck on 2 cores.
    import aiohttp

    proc, port = await _server(tmp, db_url)
    latencies: list[float] = []
    errors = 0
    url = f"http://127.0.0.1:{port}/api/v1/reports"
    try:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector, headers={"authorization": f"Bearer {API_KEY}"},
                                         timeout=aiohttp.ClientTimeout(total=30)) as c:
            async def one(i: int) -> None:
                nonlocal errors
                t0 = time.perf_counter()
                async with c.post(url, json={"text": TEXTS[i % len(TEXTS)], "reporter_id": f"u{i}",
                                             "idempotency_key": f"k{i}-{rate}"}) as r:
                    await r.read()
                    if r.status != 201:
                        errors += 1
                latencies.append(time.perf_counter() - t0)

            start = time.perf_counter()
            if rate:
                # Open loop: requests start on schedule whether or not earlier ones finished.
                tasks = []
                for i in range(n):
                    delay = start + i / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.create_task(one(i)))
                await asyncio.gather(*tasks)
            else:
                sem = asyncio.Semaphore(concurrency)

                async def bounded(i: int) -> None:
                    async with sem:
                        await one(i)

                await asyncio.gather(*(bounded(i) for i in range(n)))
            elapsed = time.perf_counter() - start
        rss = psutil.Process(proc.pid).memory_info().rss / 1e6
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()
    mode = f"paced {rate:.0f}/s" if rate else f"http c={concurrency}"
    print(f"  {mode}: {n} requests in {elapsed:.2f}s, {errors} errors", file=sys.stderr)
    return line(n / elapsed, latencies, rss, mode, db_kind(db_url))


async def pg_analyze_every(db_url: str | None, asked: str) -> float:
    """Seconds between the bench's ANALYZE runs on PostgreSQL (0: none). ``auto``: 5 s when the server's
    autovacuum is off (this sandbox's CI configuration), else none."""
    if not db_url or not db_url.startswith("postgresql") or asked == "0":
        return 0.0
    if asked != "auto":
        return float(asked)
    import asyncpg

    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return 5.0 if await conn.fetchval("SHOW autovacuum") == "off" else 0.0
    finally:
        await conn.close()


async def autovacuum_stand_in(db_url: str, every: float) -> None:
    """ANALYZE the database every ``every`` seconds, as autovacuum does in a running instance (it re-analyses a
    table once a tenth of it changed). Without it, on a server with autovacuum off, a database filled from empty
    keeps the plans PostgreSQL made while its tables were nearly empty: each ticket's and message's foreign key
    check on ``reporter`` became a sequential scan (a generic plan cached per connection), and 20,000 messages
    into a fresh database ran at 213 msg/s against 733 with this stand-in (2026-12-03)."""
    import asyncpg

    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        while True:
            await asyncio.sleep(every)
            await conn.execute("ANALYZE")
    finally:
        await conn.close()


def db_kind(db_url: str | None) -> str:
    return "postgresql" if db_url and db_url.startswith("postgresql") else "sqlite"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["inprocess", "http", "paced", "all"], default="all")
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--duplicates", choices=["on", "off", "both"], default="on",
                        help="inprocess: the possible-duplicate lookup at intake (duplicates.enabled); both: "
                             "alternating rounds on and off in one gateway, and their ratio")
    parser.add_argument("--rounds", type=int, default=10, help="--duplicates both: rounds of each")
    parser.add_argument("--lookup-process", choices=["on", "off"],
                        help="duplicates.lookup_process: the lookup in a worker process, or on the writer "
                             "(default: config.yaml)")
    parser.add_argument("--geo", action="store_true",
                        help="inprocess: reports carry coordinates ~20 m from open reports in the database")
    parser.add_argument("--processes", type=int, default=1,
                        help="2: compare one gateway process with two on one database, and check duplicates")
    parser.add_argument("--callback-rate", type=float, default=0,
                        help="--processes: the partner callbacks' send budget, per second for all processes "
                             "(burst the same); 0 (default): none, so every acknowledgement is expected within "
                             "the bench's wait (180 s); >0: the check is that the deliveries kept to it")
    parser.add_argument("--redeliver-every", type=int, default=4,
                        help="--processes: every K-th report is also sent to the next process at once (a racing "
                             "redelivery); 0: none")
    parser.add_argument("--pg-analyze", default="auto",
                        help="PostgreSQL: run ANALYZE every this many seconds during the run, as autovacuum would "
                             "(auto: 5 when the server's autovacuum is off, else 0; 0: never)")
    args = parser.parse_args()
    global LOOKUP_PROCESS
    LOOKUP_PROCESS = None if args.lookup_process is None else args.lookup_process == "on"
    print_env(args.database_url)  # what the figures depend on (load, CPU, where the database lives, versions)
    every = await pg_analyze_every(args.database_url, args.pg_analyze)
    if every:
        print(f"env: PostgreSQL ANALYZE every {every:g} s during the run (--pg-analyze; autovacuum's stand-in)",
              flush=True)
    stand_in = asyncio.create_task(autovacuum_stand_in(args.database_url, every)) if every else None
    try:
        await run_modes(args)
    finally:
        if stand_in is not None:
            stand_in.cancel()
            await asyncio.gather(stand_in, return_exceptions=True)


async def run_modes(args: argparse.Namespace) -> None:
    if args.processes > 1:
        from bench.ingest_processes import compare_processes

        await compare_processes(args.n, args.concurrency, args.database_url, args.processes, args.callback_rate,
                                args.redeliver_every)
        return
    modes = ["inprocess", "http", "paced"] if args.mode == "all" else [args.mode]
    for mode in modes:
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            if mode == "inprocess" and args.duplicates == "both":
                out = await run_inprocess_paired(args.n, args.rounds, tmp, args.database_url, geo=args.geo)
            elif mode == "inprocess":
                out = await run_inprocess(args.n, 256, tmp, args.database_url, geo=args.geo,
                                          duplicates=args.duplicates == "on")
            elif mode == "http":
                out = await run_http(args.n, args.concurrency, tmp, args.database_url, None)
            else:
                out = await run_http(min(args.n, int(args.rate * 15)), args.concurrency, tmp, args.database_url, args.rate)
            print(out, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
