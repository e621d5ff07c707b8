"""Open311 listings in-process: the cost of one ``GET /open311/v2/requests.json`` without HTTP (issue 16).

Runs the route's work (``records.query_requests`` on a heavy reader, then the JSON body) against a history
built by ``bench/read_build.py``, for bench/read.py's two Open311 paths (the most frequent category, open; the
same category closed in the last full month), each ``--repeat`` times on the same reader; prints p50/p95 per
path. ``--profile FILE`` writes a cProfile of the whole run (``python -m pstats FILE``).

    python bench/open311.py --url sqlite:////work/var-bench/COPY.db [--repeat 10] [--profile out.prof]

Last line: ``open311: <slowest path> p95 <ms> ms over <n> tickets (<db>)``.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# As in bench/read.py: bench/email.py must not shadow the standard library's ``email``.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench import read_build  # noqa: E402
from bench._env import print_env  # noqa: E402
from bench.read import periods  # noqa: E402
from bench.read_gateway import percentile  # noqa: E402


def _web(cfg: Any) -> Any:
    """What the listing reads of the web state: time zone, base URL, templates, clock."""
    from zoneinfo import ZoneInfo

    from bot.templates import Templates

    templates = Templates(cfg.templates, cfg.status_labels, cfg.instance.default_language)
    return SimpleNamespace(tz=ZoneInfo(cfg.instance.timezone), base_url=cfg.instance.public_base_url.rstrip("/"),
                           gateway=SimpleNamespace(templates=templates), config=cfg,
                           prefix=cfg.instance.tracking_prefix, now=read_build.now_hour)


def _top_category(conn: Any) -> str:
    from sqlalchemy import func, select

    from store import repo

    T = repo.T_TICKET
    return str(conn.execute(select(T.c.category_code, func.count()).group_by(T.c.category_code)
                            .order_by(func.count().desc()).limit(1)).scalar_one())


def _profiled(conn: Any, profile: cProfile.Profile | None, fn: Any) -> Any:
    """``fn(conn)``, profiled in the thread that runs it (cProfile sees one thread)."""
    if profile:
        profile.enable()
    try:
        return fn(conn)
    finally:
        if profile:
            profile.disable()


async def run(url: str, repeat: int, profile: cProfile.Profile | None) -> tuple[dict[str, tuple[float, float]], int]:
    from fastapi.responses import JSONResponse

    from bot.config import load_config
    from bot.web.open311.filters import request_filters
    from bot.web.open311.records import query_requests
    from store.db import Database

    cfg = load_config(str(ROOT / "config.yaml"))
    web = _web(cfg)
    db = Database(url, timezone=cfg.instance.timezone)
    try:
        category = await db.read(_top_category)
        p = periods()
        month = {"start_date": f"{p['month_start']}T00:00:00+07:00", "end_date": f"{p['month_end']}T00:00:00+07:00"}
        paths = {"a category, open": {"service_code": category, "status": "open"},
                 "a category, closed, one month": {"service_code": category, "status": "closed", **month}}
        out, rows = {}, 0
        for name, params in paths.items():
            filters = request_filters(web, params)
            samples = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                records = await db.read_heavy(_profiled, profile,
                                              lambda c: query_requests(c, web, **filters))  # noqa: B023
                body = _profiled(None, profile, lambda _c: JSONResponse(records).body)  # noqa: B023
                samples.append(time.perf_counter() - t0)
            rows = max(rows, len(records))
            out[name] = (percentile(samples, 0.5), percentile(samples, 0.95))
            print(f"  {name:32s} {len(records):5d} records {len(body):8d} bytes "
                  f"p50 {out[name][0] * 1000:7.1f} ms p95 {out[name][1] * 1000:7.1f} ms", flush=True)
        return out, rows
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="database URL of a read_build.py history")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--profile", help="write a cProfile of the requests to this file")
    args = parser.parse_args()
    print_env(args.url)
    profile = cProfile.Profile() if args.profile else None
    results, _ = asyncio.run(run(args.url, args.repeat, profile))
    if profile:
        profile.dump_stats(args.profile)
    count = read_build.ticket_count(args.url)
    slowest = max(results, key=lambda k: results[k][1])
    db = "sqlite" if args.url.startswith("sqlite") else "postgresql"
    print(f"open311: {slowest} p95 {results[slowest][1] * 1000:.0f} ms over {count} tickets ({db})", flush=True)


if __name__ == "__main__":
    main()
