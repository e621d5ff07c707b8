"""Officers' console benchmark: the inbox's first page (GET /petugas) at 1,000,000 tickets.

Builds a database with ``--tickets`` tickets (default 1,000,000; kept under var/bench/ and reused while the count
matches) with a small loader of its own: one reporter per ten tickets, kelurahan and categories drawn from the
shipped data, created over the last two years, 12 % still open (spread over the six open statuses), a deadline
seven days after creation. Then the whole page is requested in-process through the ASGI app (session cookie
signed as the sign-in would, every query, the redaction and the template) for three officers:

  admin     every ticket (no scope)
  lurah     one kelurahan (the scope rule of ``daftar``: the area and everything inside it)
  agency    Dinas Lingkungan Hidup and its sub-units

Printed: the load average and a CPU calibration figure, p50/p95/max per officer; the last line is exactly
  console inbox: p95 <ms> ms (<tickets> tickets, <db>)
with the worst officer's p95. ``--database-url postgresql+asyncpg://...`` recreates that database and runs on it.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ would come first on sys.path, and bench/email.py would shadow the standard
# library's ``email`` package for everything imported below: the checkout's root instead.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench._env import checkout_data_paths, print_env  # noqa: E402

OPEN = ("MENUNGGU", "KOORDINASI", "DISPOSISI", "PROSES", "MENUNGGU_VALIDASI", "TL_DITOLAK")
OFFICERS = [
    {"code": "bench-admin", "name": "Admin", "role": "admin"},
    {"code": "bench-lurah", "name": "Lurah Bangka", "role": "lurah", "area": "31.74.03.1002"},
    {"code": "bench-agency", "name": "Petugas DLH", "role": "agency_officer", "agency": "DLH"},
]
CHUNK = 20_000
WORDS = ("Sampah menumpuk", "Jalan berlubang", "Lampu jalan mati", "Pohon tumbang", "Saluran tersumbat",
         "Parkir liar", "Banjir setinggi lutut")


def _config(tmp: Path, db_url: str) -> Any:
    from bot.config import parse_config

    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = db_url
    data["media"]["dir"] = str(tmp / "media")
    checkout_data_paths(data)
    data["web"]["secret_key"] = "bench-console-secret-0123456789"
    data["staff"] = OFFICERS
    data["channels"] = {}
    return parse_config(data, base_dir=str(ROOT))


def _rows(start: int, n: int, now: datetime, kelurahan: list[str], categories: list[tuple[str, str | None]],
          rnd: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    reporters, tickets = [], []
    for i in range(start, start + n):
        if i % 10 == 0:
            reporters.append({"id": i // 10 + 1, "channel": "sms", "address": f"+62812{i // 10:08d}",
                              "opted_out": False, "unreachable": False, "created_at": now, "updated_at": now})
        created = now - timedelta(minutes=rnd.randrange(2 * 365 * 24 * 60))
        status = rnd.choice(OPEN) if rnd.random() < 0.12 else rnd.choice(("SELESAI", "SELESAI", "SELESAI", "DITOLAK"))
        category, agency = rnd.choice(categories)
        area = rnd.choice(kelurahan)
        tickets.append({
            "tracking_id": f"BEN-{i:08d}", "status": status, "channel": "sms", "source": "sms",
            "reporter_id": i // 10 + 1, "category_code": category, "agency_code": agency, "area_code": area,
            "description": f"{rnd.choice(WORDS)} di dekat rumah nomor {i % 997}, mohon ditindaklanjuti",
            "language": "id", "created_at": created, "updated_at": created, "last_inbound_at": created,
            "coordinate_due": created + timedelta(days=1), "resolve_due": created + timedelta(days=7),
            "reopen_count": 0, "paused_hours": 0.0,
            "resolved_at": created + timedelta(days=3) if status == "SELESAI" else None})
    return reporters, tickets


async def _count(gw: Any) -> int:
    from sqlalchemy import func, select

    from store import repo

    return await gw.db.read(lambda c: c.execute(select(func.count()).select_from(repo.T_TICKET)).scalar_one())


async def load(gw: Any, n: int) -> float:
    """Insert ``n`` tickets (and their reporters); returns the seconds it took."""
    from store import repo

    rnd = random.Random(11)
    now = datetime.now(timezone.utc)
    directory = gw.staff.directory
    kelurahan = sorted(c for c, a in directory.areas.items() if a.level == "kelurahan")
    categories = [(c.code, c.agency) for c in gw.config.categories]
    started = time.perf_counter()
    for start in range(0, n, CHUNK):
        reporters, tickets = _rows(start, min(CHUNK, n - start), now, kelurahan, categories, rnd)

        def write(conn: Any, reporters: list[dict[str, Any]] = reporters, tickets: list[dict[str, Any]] = tickets) -> None:
            if reporters:
                conn.execute(repo.T_REPORTER.insert(), reporters)
            conn.execute(repo.T_TICKET.insert(), tickets)

        await gw.db.write(write)
        print(f"  loaded {start + len(tickets):,} tickets", end="\r", flush=True)
    print()

    if gw.db.url.startswith("postgresql"):
        await _pg_vacuum(gw.db.url)
    else:
        def analyze(conn: Any) -> None:
            from sqlalchemy import text

            conn.execute(text("ANALYZE"))

        await gw.db.write(analyze)
    return time.perf_counter() - started


async def _pg_vacuum(url: str) -> None:
    """VACUUM ANALYZE (outside a transaction): statistics, and the visibility map and hint bits a freshly
    loaded table lacks. Without it the first page loads also pay for setting hint bits on a million rows
    (measured: p95 234 ms instead of 54 ms); autovacuum does the same in a running instance."""
    await _pg_admin(url, "VACUUM ANALYZE ticket", own_database=True)


async def _pg_admin(url: str, *statements: str, own_database: bool = False) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                                 database=u.database if own_database else "postgres")
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _recreate_pg(url: str) -> None:
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    await _pg_admin(url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')


async def measure(gw: Any, runs: int) -> dict[str, list[float]]:
    import httpx

    from bot.http.app import create_app
    from bot.web.state import SESSION_COOKIE
    from store.staff_directory import staff_row

    app = create_app(gw)
    timings: dict[str, list[float]] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench.test") as client:
        web = _web_state(app)
        for officer in OFFICERS:
            row = await gw.db.read(staff_row, officer["code"])
            client.cookies.set(SESSION_COOKIE, web.session_token(row, mfa=True))  # as after a TOTP sign-in
            r = await client.get("/petugas")  # warm-up, and a check that the page is what is measured
            assert r.status_code == 200 and "con-list" in r.text, (officer["code"], r.status_code)
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                r = await client.get("/petugas")
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200
            timings[officer["role"]] = sorted(times)
    return timings


def _web_state(app: Any) -> Any:
    """The FastAPI app's web state, inside the body-limit middleware."""
    inner = app
    while not hasattr(getattr(inner, "state", None), "web"):
        inner = inner.app
    return inner.state.web


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=100, help="page loads per officer")
    parser.add_argument("--database-url", help="a PostgreSQL database to recreate; default: SQLite under var/bench/")
    parser.add_argument("--reuse", action="store_true", help="PostgreSQL: keep the database if it has the tickets")
    args = parser.parse_args()
    os.environ.setdefault("ADUAN_LOG_LEVEL", "ERROR")
    logging.basicConfig(level=logging.ERROR)
    print_env(args.database_url or f"sqlite:///{ROOT / 'var' / 'bench' / 'console.db'}")
    from bot.gateway import Gateway
    from store.migrate import upgrade

    db = "postgresql" if args.database_url else "sqlite"
    if args.database_url:
        url = args.database_url
    else:
        path = ROOT / "var" / "bench" / f"console-{args.tickets}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    with tempfile.TemporaryDirectory() as tmp:
        config = _config(Path(tmp), url)
        fresh = True
        if args.database_url and not args.reuse:
            await _recreate_pg(url)
        await asyncio.to_thread(upgrade, url)
        gw = Gateway(config, database_url=url)
        await gw.start(dispatcher=False, receivers=False, scheduler=False)
        try:
            have = await _count(gw)
            if have != args.tickets:
                if have:
                    raise SystemExit(f"{url} holds {have} tickets, not {args.tickets}: remove it first")
                print(f"loading {args.tickets:,} tickets ({db}) ...", flush=True)
                print(f"  loaded in {await load(gw, args.tickets):.0f} s", flush=True)
            else:
                fresh = False
            timings = await measure(gw, args.runs)
        finally:
            await gw.stop()
    for role, times in timings.items():
        print(f"  {role:15s} p50 {_pct(times, 0.5):6.1f} ms  p95 {_pct(times, 0.95):6.1f} ms  max {times[-1]:6.1f} ms "
              f"({len(times)} page loads{', database reused' if not fresh else ''})", flush=True)
    worst = max(_pct(t, 0.95) for t in timings.values())
    print(f"console inbox: p95 {worst:.0f} ms ({args.tickets} tickets, {db})", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
