"""Builds the history database for bench/read.py: N tickets with the project's own tables and migrations.

Distributions (at N = 1,000,000; everything scales with N):
  * all 267 kelurahan of data/jakarta_areas.csv, skewed: one holds ~15 % of the tickets, nine ~2 % each,
    the rest share the remainder with log-normal weights (median kelurahan ~2.5 k tickets at 1 M);
  * the categories and agencies of config.yaml (an agency per category, as routing sets it);
  * dates over 5 years at 1 M (at least 400 days), growing towards now; ticket ids in date order;
  * statuses realistic for age: older than 30 days ~85 % SELESAI, ~10 % DITOLAK, the rest stuck open;
  * ~3.6 events, 2 messages (1 in, 1 out), 0.93 attachments per ticket; 0.4 N reporters.

Rows are generated with a seeded ``random.Random`` and bulk-loaded in chunks, one transaction per chunk: with
``executemany`` on SQLite (``PRAGMA synchronous=OFF``, the builder only; the gateway opens its own connections
with FULL), with ``COPY`` on PostgreSQL (asyncpg's ``copy_records_to_table``: an executemany there costs a round
trip per row). PostgreSQL is then vacuumed as well as analysed, as autovacuum would in a running instance.
"""
from __future__ import annotations

import asyncio
import hashlib
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ would come first on sys.path, and bench/email.py would shadow the standard
# library's email package (which SQLAlchemy imports).
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from sqlalchemy import Connection, create_engine, event, func, select, text  # noqa: E402

from bot.config import AppConfig  # noqa: E402
from store import repo  # noqa: E402

CHUNK = 20_000  # tickets per transaction
CHANNELS = [("whatsapp", 0.38), ("sms", 0.12), ("partner", 0.25), ("telegram", 0.08), ("email", 0.1),
            ("web", 0.05), ("twitter", 0.02)]
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
WORDS = ["sampah", "menumpuk", "jalan", "berlubang", "parkir", "liar", "trotoar", "lampu", "mati", "got", "mampet",
         "banjir", "pohon", "tumbang", "air", "mati", "bau", "kel.", "kec.", "jl.", "raya", "dekat", "halte", "pasar",
         "sudah", "3", "hari", "tolong", "segera", "ditindak", "warga", "resah", "RT", "RW", "gang"]


def span_days(n: int) -> int:
    return max(400, round(5 * 365.25 * n / 1_000_000))


def area_weights(codes: list[str], rng: random.Random) -> list[float]:
    """One kelurahan with ~15 %, nine with ~2 %, the rest log-normal over the remaining 67 %."""
    rest = [rng.lognormvariate(0, 0.8) for _ in codes[10:]]
    scale = 0.67 / sum(rest)
    return [0.15] + [0.02] * 9 + [w * scale for w in rest]


def tracking_id(prefix: str, i: int) -> str:
    """A unique, valid tracking ID per ticket number (i times an odd constant mod 31**7 is bijective)."""
    from adapters.contract.tracking import _check_symbol, format_id

    body, x = [], (i * 2_654_435_761) % (31 ** 7)
    for _ in range(7):
        x, r = divmod(x, 31)
        body.append(ALPHABET[r])
    code = "".join(body)
    return format_id(prefix, code + _check_symbol(code))


class Builder:
    """Generates one chunk of tickets and their rows at a time (bounded memory)."""

    def __init__(self, cfg: AppConfig, areas: list[str], n: int, now: datetime, seed: int = 16) -> None:
        self.rng = random.Random(seed)
        self.n, self.now = n, now
        self.areas = list(areas)
        self.rng.shuffle(self.areas)  # the big kelurahan is anywhere in the city, not the first of the list
        self.area_w = area_weights(areas, self.rng)
        self.categories = [(c.code, c.agency, c.coordinate_hours or cfg.sla.coordinate_hours,
                            c.resolve_hours or cfg.sla.resolve_hours) for c in cfg.categories]
        self.cat_w = [1.0 / (k + 1) ** 0.9 for k in range(len(self.categories))]
        self.span = span_days(n) * 86400.0
        self.reporters = max(1, int(n * 0.4))
        self.msg_id = self.event_id = self.att_id = 0
        self.ch_names = [c for c, _ in CHANNELS]
        self.ch_w = [w for _, w in CHANNELS]
        # Ages drawn up front and sorted, oldest first: ticket ids grow with created_at, as in a real instance
        # (rows of one period sit together on disk; random ages per id would scatter a month over every page).
        ages = random.Random(seed + 1)
        self.ages = sorted((self.span * (1 - ages.random() ** 0.8) for _ in range(n)), reverse=True)

    def reporter_rows(self, start: int, stop: int) -> list[dict[str, Any]]:
        rng, out = self.rng, []
        for rid in range(start, stop):
            ch = self.ch_names[rid % len(self.ch_names)]
            created = self.now - timedelta(seconds=self.span * rng.random())
            address = f"reporter{rid}@example.id" if ch == "email" else f"+62812{rid:08d}"
            out.append(dict(id=rid, channel=ch, address=address, display_name=None, language="id",
                            opted_out=False, unreachable=False, unreachable_reason=None,
                            created_at=created, updated_at=created))
        return out

    def _status(self, age_days: float) -> str:
        r = self.rng.random()
        if age_days > 30:
            table = [(0.85, "SELESAI"), (0.95, "DITOLAK"), (0.97, "PROSES"), (0.985, "MENUNGGU_VALIDASI"),
                     (0.995, "DISPOSISI"), (1.0, "MENUNGGU")]
        else:
            table = [(0.2, "MENUNGGU"), (0.3, "KOORDINASI"), (0.4, "DISPOSISI"), (0.65, "PROSES"),
                     (0.7, "MENUNGGU_VALIDASI"), (0.72, "TL_DITOLAK"), (0.95, "SELESAI"), (1.0, "DITOLAK")]
        return next(s for p, s in table if r < p)

    def ticket(self, tid: int, prefix: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rng = self.rng
        age = self.ages[tid - 1]  # more tickets in recent years
        created = self.now - timedelta(seconds=age)
        cat, agency, coord_h, res_h = rng.choices(self.categories, self.cat_w)[0]
        status = self._status(age / 86400)
        coordinate_due = created + timedelta(hours=coord_h)
        resolve_due = created + timedelta(hours=res_h)
        path = ["MENUNGGU"]
        coordinated = resolved = closed = proof = paused = None
        if status != "MENUNGGU":
            coordinated = created + timedelta(hours=rng.expovariate(1 / 5))
            if status == "DITOLAK":
                path.append("DITOLAK")
            else:
                path += ["KOORDINASI"] if rng.random() < 0.1 else []
                path += ["PROSES"] if status not in ("KOORDINASI", "DISPOSISI") else [status]
                if status in ("MENUNGGU_VALIDASI", "SELESAI", "TL_DITOLAK"):
                    path.append("MENUNGGU_VALIDASI")
                if status == "TL_DITOLAK":
                    path.append("TL_DITOLAK")
        limit = max(1.0, age / 3600)
        steps = sorted(min(limit, rng.expovariate(1 / (res_h * 0.6))) for _ in path[1:])
        if status == "SELESAI":
            path.append("SELESAI")
            steps.append(min(limit, (steps[-1] if steps else 0) + rng.expovariate(1 / 12)))
            resolved = closed = created + timedelta(hours=steps[-1])
        if status == "DITOLAK":
            closed = created + timedelta(hours=steps[-1])
        if "MENUNGGU_VALIDASI" in path:
            proof = created + timedelta(hours=steps[path.index("MENUNGGU_VALIDASI") - 1])
        if status == "MENUNGGU_VALIDASI":
            paused = proof
        updated = created + timedelta(hours=steps[-1]) if steps else created
        channel = rng.choices(self.ch_names, self.ch_w)[0]
        row = dict(id=tid, tracking_id=tracking_id(prefix, tid), status=status, channel=channel, source=channel,
                   reporter_id=1 + rng.randrange(self.reporters),
                   category_code=cat, agency_code=agency, unit=None,
                   area_code=rng.choices(self.areas, self.area_w)[0], area_method="text",
                   latitude=None, longitude=None, description=" ".join(rng.choices(WORDS, k=12)), language="id",
                   created_at=created, updated_at=updated, last_inbound_at=created, coordinate_due=coordinate_due,
                   resolve_due=resolve_due, coordinated_at=coordinated, proof_submitted_at=proof,
                   resolved_at=resolved, closed_at=closed, reopen_count=0, resolve_started_at=created,
                   paused_at=paused, paused_hours=0.0)
        events = [dict(ticket_id=tid, kind="created", from_status=None, to_status="MENUNGGU", actor="system",
                       reason=None, public=True, data=None, created_at=created)]
        for prev, nxt, h in zip(path, path[1:], steps):
            events.append(dict(ticket_id=tid, kind="status", from_status=prev, to_status=nxt, actor="officer",
                               reason=None, public=True, data=None, created_at=created + timedelta(hours=h)))
        if rng.random() < 0.04:  # officers' notes
            events.append(dict(ticket_id=tid, kind="staff_note", from_status=None, to_status=None, actor="officer",
                               reason="dicek ke lokasi", public=False, data=None, created_at=updated))
        return row, events

    def messages(self, t: dict[str, Any]) -> list[dict[str, Any]]:
        base = dict(recipient=None, reporter_id=t["reporter_id"], ticket_id=t["id"], error=None, attempts=0,
                    next_attempt_at=None, lease_owner=None, lease_until=None, parts_sent=0, attachment_id=None,
                    reply_context=None, payload=None, raw=None, sent_at=None, lane=None)
        created = t["created_at"]
        inbound = dict(base, channel=t["channel"], direction="in", external_id=f"hist:{t['id']}", kind="report",
                       text=t["description"], status="processed", created_at=created, updated_at=created)
        sent = created + timedelta(seconds=2)
        outbound = dict(base, channel=t["channel"], direction="out", external_id=f"hist-out:{t['id']}", kind="ack",
                        recipient=f"r{t['reporter_id']}", lane=t["channel"], attempts=1,
                        text=f"Laporan Anda diterima. Nomor: {t['tracking_id']}.", status="sent",
                        created_at=created, updated_at=sent, sent_at=sent)
        return [inbound, outbound]

    def attachments(self, t: dict[str, Any]) -> list[dict[str, Any]]:
        rng, out = self.rng, []
        count = 1 if rng.random() < 0.78 else 0
        count += 1 if t["status"] == "SELESAI" and rng.random() < 0.18 else 0  # proof photos
        for k in range(count):
            digest = hashlib.sha256(f"{t['id']}:{k}".encode()).hexdigest()
            out.append(dict(sha256=digest, content_type="image/jpeg", size=rng.randrange(40_000, 900_000),
                            kind="citizen" if k == 0 else "proof", ticket_id=t["id"], message_id=None,
                            phash=None, created_at=t["created_at"]))
        return out

    def chunks(self, prefix: str) -> Iterator[dict[str, list[dict[str, Any]]]]:
        for start in range(1, self.n + 1, CHUNK):
            tickets, events, messages, atts = [], [], [], []
            for tid in range(start, min(self.n + 1, start + CHUNK)):
                row, evs = self.ticket(tid, prefix)
                tickets.append(row)
                events += evs
                messages += self.messages(row)
                atts += self.attachments(row)
            yield dict(ticket=tickets, ticket_event=events, message=messages, attachment=atts)


def insert_rows(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``: ``COPY`` on PostgreSQL, ``executemany`` else."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    from sqlalchemy.util import await_only

    # Each column's own bind processing (aware UTC datetimes, JSON) as SQLAlchemy would apply it.
    cols = list(rows[0])
    procs = [table.c[c].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for c in cols]
    pairs = list(zip(cols, procs))
    records = [tuple(r[c] if p is None or r[c] is None else p(r[c]) for c, p in pairs) for r in rows]
    conn.exec_driver_sql("SELECT 1")  # opens the chunk's transaction on the driver, so COPY joins it
    raw = conn.connection.driver_connection
    await_only(raw.copy_records_to_table(table.name, records=records, columns=cols))


def load_sqlite(url: str, write: Callable[[Connection], None]) -> None:
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _fast(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=OFF")  # the builder only: a crash means rebuilding
        cur.execute("PRAGMA cache_size=-64000")
        cur.close()

    try:
        write_in_chunks(engine, write)
    finally:
        engine.dispose()


def write_in_chunks(engine: Any, write: Callable[[Connection], None]) -> None:
    with engine.connect() as conn:
        write(conn)


def build(url: str, cfg: AppConfig, n: int, now: datetime, log: Callable[[str], None]) -> None:
    """Migrate ``url`` (empty), sync the reference data, and load N tickets."""
    from bot.areas import load_areas_csv
    from bot.refdata import sync_reference_data
    from store.db import Database, is_sqlite
    from store.migrate import upgrade

    upgrade(url)
    areas = load_areas_csv(cfg.routing.areas_csv)
    kel = [a.code for a in areas if a.level == "kelurahan"]
    builder = Builder(cfg, kel, n, now)
    tables = _tables()

    def write(conn: Connection) -> None:
        with conn.begin():
            sync_reference_data(conn, cfg, areas, now)
        t0 = time.perf_counter()
        for start in range(1, builder.reporters + 1, CHUNK * 4):
            with conn.begin():
                insert_rows(conn, tables["reporter"],
                            builder.reporter_rows(start, min(builder.reporters + 1, start + CHUNK * 4)))
        done = 0
        for chunk in builder.chunks(cfg.instance.tracking_prefix):
            with conn.begin():
                for name in ("ticket", "ticket_event", "message", "attachment"):
                    insert_rows(conn, tables[name], chunk[name])
            done += len(chunk["ticket"])
            if done % (CHUNK * 10) == 0 or done == n:
                log(f"  built {done} tickets in {time.perf_counter() - t0:.0f} s")
        if conn.dialect.name == "postgresql":
            with conn.begin():
                for name in ("reporter", "ticket", "ticket_event", "message", "attachment"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                      f"(SELECT max(id) FROM {name}))"))

    if is_sqlite(url):
        load_sqlite(url, write)
    else:
        db = Database(url)

        async def run() -> None:
            async with db._async_engine.connect() as conn:
                await conn.run_sync(write)
            await db.close()

        asyncio.run(run())
    log("  loaded; rebuilding figures and statistics")
    finish(url, log)


def _tables() -> dict[str, Any]:
    return {"reporter": repo.T_REPORTER, "ticket": repo.T_TICKET, "ticket_event": repo.T_EVENT,
            "message": repo.T_MESSAGE, "attachment": repo.T_ATTACHMENT}


def finish(url: str, log: Callable[[str], None]) -> None:
    """``store.figures.rebuild`` (the bulk load bypasses the write paths that keep them), then ANALYZE."""
    from store import figures
    from store.db import Database

    db = Database(url)

    def finish_tx(conn: Connection) -> None:
        t0 = time.perf_counter()
        figures.rebuild(conn)
        log(f"  figures rebuilt in {time.perf_counter() - t0:.1f} s")

    async def run() -> None:
        await db.write(finish_tx)
        await db.write(lambda c: c.exec_driver_sql("ANALYZE"))
        await db.close()

    asyncio.run(run())
    if not url.startswith("sqlite"):
        t0 = time.perf_counter()
        asyncio.run(vacuum_pg(url))
        log(f"  VACUUM ANALYZE in {time.perf_counter() - t0:.0f} s")


async def vacuum_pg(url: str) -> None:
    """``VACUUM (ANALYZE)`` outside a transaction: sets the visibility map (index-only scans) and hint bits on
    the freshly copied rows, so the first reads measure the queries, not the clean-up."""
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                                 database=u.database)
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


def ticket_count(url: str) -> int:
    """Tickets already in the database at ``url`` (0 when it has no schema yet)."""
    from store.db import Database

    db = Database(url)

    def count(conn: Connection) -> int:
        try:
            return int(conn.execute(select(func.count()).select_from(repo.T_TICKET)).scalar_one())
        except Exception:  # noqa: BLE001 - no table yet
            return 0

    async def run() -> int:
        try:
            return await db.read(count)
        finally:
            await db.close()

    return asyncio.run(run())


def now_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def main() -> None:
    """Build a history database on its own (bench/read.py --reuse PATH then measures it):
    ``python bench/read_build.py PATH [--tickets N]``."""
    import argparse

    from bot.config import load_config

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("path", help="SQLite file to create, or a postgresql+asyncpg:// URL of an existing "
                                     "database (must not hold tickets yet)")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    args = parser.parse_args()
    url = args.path if "://" in args.path else f"sqlite:///{Path(args.path).resolve()}"
    if ticket_count(url):
        raise SystemExit(f"{args.path} already holds tickets")
    t0 = time.perf_counter()
    build(url, load_config(str(ROOT / "config.yaml")), args.tickets, now_hour(), lambda s: print(s, flush=True))
    print(f"read_build: {ticket_count(url)} tickets in {time.perf_counter() - t0:.0f} s ({args.path})")


if __name__ == "__main__":
    main()
