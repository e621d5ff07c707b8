"""Read benchmark: the public pages, APIs and reports over years of history (issue 16).

Builds (bench/read_build.py) or reuses a database of N tickets, starts the real gateway on it (``main.py serve``
in a subprocess on 127.0.0.1), and measures p50/p95 over repeated requests of every read path, ``main.py
report`` (wall time of the subprocess), tracking lookups while two /dashboard requests run, partner and email
ingest into that database (and into an empty one, for the ratio), idle CPU of the gateway and its peak RSS.

    python bench/read.py [--tickets N] [--db sqlite|postgresql] [--url URL] [--reuse PATH] [--repeat R]
                         [--no-public-cache]

One line per path; the last line is exactly:
    read: <slowest path> p95 <ms> ms over <n> tickets (<db>)
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import os
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Awaitable, Callable

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ would come first on sys.path, and bench/email.py would shadow the standard
# library's ``email`` package for everything imported below: the checkout's root instead.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench import read_build  # noqa: E402
from bench._env import print_env  # noqa: E402
from bench.read_gateway import (  # noqa: E402
    Gateway,
    empty_url,
    ensure_pg_database,
    ingest_email,
    ingest_partner,
    percentile,
)

Timing = tuple[float, float, int]  # p50 s, p95 s, samples


def default_url(args: argparse.Namespace, tmp: Path) -> str:
    if args.url:
        return args.url
    if args.db == "postgresql":
        return "postgresql+asyncpg://postgres@127.0.0.1:5432/aduan_bench_read"
    return f"sqlite:///{Path(args.reuse).resolve() if args.reuse else tmp / 'read.db'}"


def prepare(url: str, n: int, reuse: bool, cfg: Any) -> int:
    """Build the database unless ``reuse`` and it already holds at least ``n`` tickets; the ticket count."""
    have = read_build.ticket_count(url)
    if reuse and have >= n:
        print(f"  reusing {url.split('@')[-1]} with {have} tickets", flush=True)
        return have
    if have:
        raise SystemExit(f"{url} already holds {have} tickets (not {n}): give an empty database or --reuse")
    t0 = time.perf_counter()
    read_build.build(url, cfg, n, read_build.now_hour(), lambda s: print(s, flush=True))
    print(f"  database ready in {time.perf_counter() - t0:.0f} s", flush=True)
    return read_build.ticket_count(url)


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int) -> Timing:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - t0)
    return percentile(samples, 0.5), percentile(samples, 0.95), len(samples)


def targets(url: str) -> dict[str, Any]:
    """Tracking IDs, kelurahan codes (median and largest), a category and the last full month, read once."""
    from sqlalchemy import func, select

    from store import repo
    from store.db import Database

    T = repo.T_TICKET

    def pick(conn: Any) -> dict[str, Any]:
        per_area = conn.execute(select(T.c.area_code, func.count()).group_by(T.c.area_code)
                                .order_by(func.count())).all()
        top_cat = conn.execute(select(T.c.category_code, func.count()).group_by(T.c.category_code)
                               .order_by(func.count().desc()).limit(1)).scalar_one()
        top = conn.execute(select(func.max(T.c.id))).scalar_one()
        ids = [conn.execute(select(T.c.tracking_id).where(T.c.id == 1 + (i * 7919) % top)).scalar_one()
               for i in range(50)]
        return dict(median_area=per_area[len(per_area) // 2], largest_area=per_area[-1], category=top_cat, ids=ids)

    db = Database(url)

    async def run() -> dict[str, Any]:
        try:
            return await db.read(pick)
        finally:
            await db.close()

    return asyncio.run(run())


def periods() -> dict[str, str]:
    today = read_build.now_hour().date()
    month_end = today.replace(day=1)
    month_start = (month_end - timedelta(days=1)).replace(day=1)
    return dict(month_start=month_start.isoformat(), month_end=month_end.isoformat(),
                year_start=(month_end - timedelta(days=365)).isoformat())


def read_paths(t: dict[str, Any], p: dict[str, str]) -> dict[str, str]:
    ms, me, ys = p["month_start"], p["month_end"], p["year_start"]
    o311 = f"/open311/v2/requests.json?service_code={t['category']}"
    largest = str(t["largest_area"][0])
    last_day = (date.fromisoformat(me) - timedelta(days=1)).isoformat()
    month = f"&start_date={ms}T00:00:00%2B07:00&end_date={me}T00:00:00%2B07:00"
    return {
        "/dashboard": "/dashboard",
        "/dashboard.csv": "/dashboard.csv",
        "/api/v1/performance (all)": "/api/v1/performance",
        "/api/v1/performance (a month)": f"/api/v1/performance?since={ms}&until={me}",
        "/api/v1/performance (a year by kelurahan)": f"/api/v1/performance?since={ys}&until={me}&by=kelurahan",
        f"/dashboard/{{kelurahan}} (median, {t['median_area'][1]} tickets)": f"/dashboard/{t['median_area'][0]}",
        f"/dashboard/{{kelurahan}} (largest, {t['largest_area'][1]} tickets)": f"/dashboard/{t['largest_area'][0]}",
        # Kota and kecamatan dashboards (issue 15): those holding the largest kelurahan; a year's date range.
        "/dashboard/{kota} (of the largest kelurahan)": f"/dashboard/{largest[:5]}",
        "/dashboard/{kecamatan} (of the largest kelurahan)": f"/dashboard/{largest[:8]}",
        "/dashboard?dari=&sampai= (a year)": f"/dashboard?dari={ys}&sampai={last_day}",
        "/dashboard.csv?by=area": "/dashboard.csv?by=area",
        "open311 requests.json (a category, open)": o311 + "&status=open",
        "open311 requests.json (a category, closed, one month)": o311 + "&status=closed" + month,
    }


async def measure_reads(gw: Gateway, t: dict[str, Any], repeat: int, only: str | None = None) -> dict[str, Timing]:
    """Every read path; with ``only``, just the read paths whose name contains it (nothing else)."""
    out: dict[str, Timing] = {}
    for name, path in read_paths(t, periods()).items():
        if only is not None and only not in name:
            continue
        out[name] = await timed(functools.partial(gw.get, path), repeat)
        print(f"  {name:58s} p50 {out[name][0] * 1000:9.1f} ms p95 {out[name][1] * 1000:9.1f} ms", flush=True)
    if only is not None:
        return out
    ids = iter(t["ids"] * (repeat * 4))
    for name, prefix in (("/t/{id}", "/t/"), ("/api/v1/tickets/{id}", "/api/v1/tickets/")):
        out[name] = await timed(lambda: gw.get(prefix + next(ids)), repeat * 4)  # noqa: B023 - awaited at once
        print(f"  {name:58s} p50 {out[name][0] * 1000:9.1f} ms p95 {out[name][1] * 1000:9.1f} ms", flush=True)
    name = "/api/v1/tickets/{id} during two /dashboard"
    out[name] = await during_dashboards(gw, t["ids"])
    print(f"  {name:58s} p50 {out[name][0] * 1000:9.1f} ms p95 {out[name][1] * 1000:9.1f} ms "
          f"({out[name][2]} lookups)", flush=True)
    return out


async def during_dashboards(gw: Gateway, ids: list[str]) -> Timing:
    """Tracking lookups, one after another, while two /dashboard requests run (at least 10 lookups)."""
    samples: list[float] = []
    heavy = [asyncio.create_task(gw.get("/dashboard")) for _ in range(2)]
    await asyncio.sleep(0.05)  # both dashboards are in flight before the first lookup
    i = 0
    while not all(h.done() for h in heavy) or len(samples) < 10:
        t0 = time.perf_counter()
        await gw.get("/api/v1/tickets/" + ids[i % len(ids)])
        samples.append(time.perf_counter() - t0)
        i += 1
    await asyncio.gather(*heavy)
    return percentile(samples, 0.5), percentile(samples, 0.95), len(samples)


def measure_report(cfg_path: Path, p: dict[str, str], repeat: int) -> dict[str, Timing]:
    import subprocess

    out: dict[str, Timing] = {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADUAN_")}
    for name, since in (("main.py report (a month)", p["month_start"]), ("main.py report (a year)", p["year_start"])):
        samples = []
        for _ in range(max(1, repeat // 2)):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "main.py"), "--config", str(cfg_path), "report", "--since",
                            since, "--until", p["month_end"], "--csv", str(cfg_path.parent / "report.csv")],
                           check=True, cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL)
            samples.append(time.perf_counter() - t0)
        out[name] = (percentile(samples, 0.5), percentile(samples, 0.95), len(samples))
        print(f"  {name:58s} p50 {out[name][0] * 1000:9.1f} ms p95 {out[name][1] * 1000:9.1f} ms (wall)", flush=True)
    return out


async def measure_ingest(url: str, empty_url: str, tmp: Path, n: int) -> list[str]:
    """Partner and email ingest into the history database, then into an empty one (same counts)."""
    lines, rates = [], {}
    for label, db_url in (("history", url), ("empty", empty_url)):
        async with Gateway(tmp / f"ingest-{label}", db_url) as gw:
            rates[("partner", label)] = await ingest_partner(gw, n, tag=f"{label}-{time.time_ns()}")
            rates[("email", label)] = await ingest_email(gw, max(2, n // 4), tag=f"{label}-{time.time_ns()}")
    for kind in ("partner", "email"):
        (h_rate, h_p50, h_p99), (e_rate, _, _) = rates[(kind, "history")], rates[(kind, "empty")]
        lines.append(f"  {kind} ingest: {h_rate:.0f} msg/s p50 {h_p50 * 1000:.1f} ms p99 {h_p99 * 1000:.1f} ms into "
                     f"the history; {e_rate:.0f} msg/s into an empty database ({h_rate / max(e_rate, 1e-9):.0%})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", help="database URL (default: a SQLite file in a temporary folder, or the local "
                                      "PostgreSQL database aduan_bench_read)")
    parser.add_argument("--reuse", help="SQLite file to reuse (built there if it holds fewer than N tickets); with "
                                        "--url, reuse that database")
    parser.add_argument("--repeat", type=int, default=5, help="requests per path (default 5)")
    parser.add_argument("--ingest", type=int, default=1000, help="partner reports sent (a quarter as mails)")
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--only", help="measure only the read paths whose name contains this (e.g. open311), "
                        "after the idle CPU: no tracking lookups, report or ingest")
    parser.add_argument("--no-public-cache", action="store_true", help="http.public_cache_seconds 0: every "
                        "request of a public page computes it (the default caches them 5 s, so p50 is a hit)")
    args = parser.parse_args()
    from bot.config import load_config

    with tempfile.TemporaryDirectory(dir=os.environ.get("ADUAN_BENCH_TMP")) as d:
        tmp = Path(d)
        url = default_url(args, tmp)
        db = "sqlite" if url.startswith("sqlite") else "postgresql"
        if db == "postgresql":
            asyncio.run(ensure_pg_database(url))
        print_env(url)
        cfg = load_config(str(ROOT / "config.yaml"))
        count = prepare(url, args.tickets, bool(args.reuse), cfg)
        results, extra = asyncio.run(run_all(url, tmp, count, args))
        for line in extra:
            print(line, flush=True)
        slowest = max(results, key=lambda k: results[k][1])
        print(f"  peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB",
              flush=True)
        print(f"read: {slowest} p95 {results[slowest][1] * 1000:.0f} ms over {count} tickets ({db})", flush=True)


async def run_all(url: str, tmp: Path, count: int, args: argparse.Namespace) -> tuple[dict[str, Timing], list[str]]:
    t = await asyncio.to_thread(targets, url)
    extra: list[str] = []
    async with Gateway(tmp / "reads", url, public_cache=not args.no_public_cache) as gw:
        extra.append(f"  idle CPU of the gateway: {await gw.idle_cpu(args.idle_seconds):.1%} of a core over "
                     f"{args.idle_seconds:.0f} s")
        if args.only is not None:
            return await measure_reads(gw, t, args.repeat, args.only), extra
        results = await measure_reads(gw, t, args.repeat)
        results.update(await asyncio.to_thread(measure_report, gw.config_path, periods(), args.repeat))
        extra.append(f"  peak RSS of the gateway {gw.peak_rss_mb():.0f} MB")
    empty = empty_url(url, tmp)
    if not url.startswith("sqlite"):
        await ensure_pg_database(empty, fresh=True)
    if args.ingest:
        extra += await measure_ingest(url, empty, tmp, args.ingest)
    return results, extra


if __name__ == "__main__":
    main()
