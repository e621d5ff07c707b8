"""Figures: aggregates of the ticket table, kept exact in the same transaction as every ticket change.

The dashboards, the performance API, Open311 counts and ``aduan report`` read these small tables instead
of scanning years of tickets (issue 16). Every write to ``ticket`` goes through ``store.repo`` (the
``insert_ticket`` and ``update_ticket`` functions), which calls ``ticket_changed(conn, before, after)``:
the old row's contributions are subtracted, the new row's added, and each affected aggregate row gets
one UPSERT (``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n``, on SQLite and PostgreSQL).

Besides the per-kelurahan tables, roll-ups (migration 0018): ``fig_city`` for the province and each kota
(the kota of an area comes from the area table: re-parenting an area needs ``aduan figures rebuild``, as a
changed time zone does), ``fig_area`` per kelurahan and period, and ``fig_perf_year`` / ``fig_hist_year``.

``rebuild(conn)`` recomputes everything from the base tables (after a bulk load); ``verify(conn)``
recomputes and lists every difference (``aduan figures verify``).

Time buckets (day, month, deadline week) are in the instance time zone, which ``store.db.Database``
puts in each connection's ``info`` (``TZ_INFO_KEY``); a changed time zone needs ``aduan figures rebuild``.
"""
from __future__ import annotations

import functools
import math
from contextlib import contextmanager
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator, Mapping, Optional, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, bindparam, case, delete, func, inspect, select, union_all
from sqlalchemy.dialects import postgresql, sqlite

from store.tables import FIGURE_MODELS, Area, Ticket, TicketEvent

TABLES: dict[str, Table] = {m.__tablename__: getattr(m, "__table__") for m in FIGURE_MODELS}
KEYS = {name: tuple(c.name for c in t.primary_key.columns) for name, t in TABLES.items()}
VALUES = {name: tuple(c.name for c in t.columns if not c.primary_key) for name, t in TABLES.items()}
T: Table = getattr(Ticket, "__table__")
E: Table = getattr(TicketEvent, "__table__")

DEFAULT_TZ = "Asia/Jakarta"
TZ_INFO_KEY = "aduan_figures_tz"
PENDING_KEY = "aduan_figures_pending"  # conn.info: deltas collected by ``batched``
OPEN = frozenset({"MENUNGGU", "KOORDINASI", "DISPOSISI", "PROSES", "MENUNGGU_VALIDASI", "TL_DITOLAK"})
PROOF, PROOF_REJECTED, DONE, REJECTED = "MENUNGGU_VALIDASI", "TL_DITOLAK", "SELESAI", "DITOLAK"
GROUPINGS = ("agency", "kelurahan")
# The ticket columns the figures depend on: an update touching none of them costs nothing here.
COLUMNS = ("id", "status", "channel", "area_code", "category_code", "agency_code", "created_at", "resolve_due",
           "coordinated_at", "resolved_at", "closed_at", "reopen_count")
# Columns a later migration added (``source`` 0012, ``merged_into_id`` 0016, ``rating`` 0017): read only where
# the database has them, since migration 0006 recomputes the figures before those columns exist.
LATER_COLUMNS = ("source", "merged_into_id", "rating")
CHUNK = 5000

Key = tuple[str, tuple[Any, ...]]
Acc = dict[Key, dict[str, int]]
Row = Mapping[Any, Any]  # a ticket: a RowMapping, or the dict of values being inserted


def tz_of(conn: Connection) -> ZoneInfo:
    return ZoneInfo(conn.info.get(TZ_INFO_KEY) or DEFAULT_TZ)


def source_of(ticket: Row) -> str:
    """Where a ticket came from: its ``source`` (issue 11), else its channel (rows written before 0012)."""
    return str(ticket.get("source") or ticket["channel"] or "")


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def week_start(when: datetime, tz: ZoneInfo) -> datetime:
    """Monday 00:00 (local) of the week ``when`` falls in."""
    local = _aware(when).astimezone(tz)
    return (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


def bucket_of(seconds: float) -> int:
    """Log-spaced duration buckets, four per doubling of minutes: 0 is under a minute, bucket b >= 1 holds
    [2**((b-1)/4), 2**(b/4)) minutes (about 19 % wide), so a percentile read from them is within that."""
    minutes = seconds / 60.0
    return 0 if minutes < 1 else 1 + int(4 * math.log2(minutes))


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """A bucket's [low, high) in hours."""
    if bucket <= 0:
        return 0.0, 1 / 60
    return 2 ** ((bucket - 1) / 4) / 60, 2 ** (bucket / 4) / 60


def perf_keys(t: Row, tz: ZoneInfo) -> list[tuple[str, str, str]]:
    """(grouping, key, month) rows of fig_perf / fig_hist a ticket counts in."""
    month = _aware(t["created_at"]).astimezone(tz).date().isoformat()[:7]
    return [("agency", t["agency_code"] or "", month), ("kelurahan", t["area_code"] or "", month)]


# fig_perf / fig_hist per month, and the same per year (migration 0018): a year's or all time's report
# reads a few year rows, plus or minus the months at its edges (bot.perf_figures), not up to 60 months.
PERF_TABLES = (("fig_perf", "fig_hist", 7), ("fig_perf_year", "fig_hist_year", 4))


def _perf_rows(key: tuple[str, str, str]) -> Iterator[tuple[str, str, tuple[str, str, str]]]:
    """(perf table, histogram table, key) of every row a perf_keys key counts in."""
    for perf, hist, length in PERF_TABLES:
        yield perf, hist, (key[0], key[1], key[2][:length])


def _seconds(later: datetime | None, earlier: datetime) -> int | None:
    return None if later is None else round((_aware(later) - _aware(earlier)).total_seconds())


def _add(acc: Acc, table: str, key: tuple[Any, ...], values: Mapping[str, int], sign: int) -> None:
    row = acc.setdefault((table, key), defaultdict(int))
    for col, v in values.items():
        if v:
            row[col] += sign * v


def add_ticket(acc: Acc, t: Row, tz: ZoneInfo, sign: int, *, ever_resolved: bool | None = None,
               perf_only: bool = False) -> None:
    """Add (sign 1) or take away (-1) one ticket's contributions, except the event-derived proof counts
    (``perf_only``: to fig_perf and fig_hist only, as a report's edge months need).

    ``ever_resolved`` defaults to what the lifecycle implies (SELESAI now, or reopened: only SELESAI can be
    reopened); ``rebuild`` passes what the status events say, so ``verify`` checks that rule too."""
    if t.get("merged_into_id") is not None:
        return  # merged into another report (``gabung``): the main ticket counts once, this one not at all
    area, cat, agency, status = t["area_code"] or "", t["category_code"] or "", t["agency_code"] or "", t["status"]
    created, due = _aware(t["created_at"]), _aware(t["resolve_due"])
    resolved = t.get("resolved_at")
    on_time = status == DONE and resolved is not None and _aware(resolved) <= due
    if not perf_only:
        source, day = source_of(t), created.astimezone(tz).date().isoformat()
        counted = {"n": 1, "on_time": int(on_time)}
        _add(acc, "fig_count", (area, cat, agency, source, status), counted, sign)
        _add(acc, "fig_day", (day, area, cat, source), {"n": 1}, sign)
        for period in (day[:7], day):  # a date range reads whole months, and days only at its edges
            _add(acc, "fig_created", (period, area, cat, agency, source, status), counted, sign)
        # The province's roll-ups (all time '' too): the city's dashboard and every map read these.
        for period in ("", day[:7], day):
            _add(acc, "fig_city", (period, "", cat, agency, source, status), counted, sign)
            _add(acc, "fig_area", (period, area), {"n": 1, "open_n": int(status in OPEN)}, sign)
        if status in OPEN:
            _add(acc, "fig_open_due", (due.astimezone(tz).date().isoformat(), area, cat, agency, source), {"n": 1}, sign)
        handled = resolved if status == DONE else (t.get("closed_at") if status == REJECTED else None)
        _add(acc, "fig_week", (week_start(due, tz).date().isoformat(), area),
             {"due": 1, "on_time": int(handled is not None and _aware(handled) <= due)}, sign)
    if ever_resolved is None:
        ever_resolved = status == DONE or (t.get("reopen_count") or 0) > 0
    c_s, r_s = _seconds(t.get("coordinated_at"), created), _seconds(resolved, created)
    perf = {"tickets": 1, "coordinated": int(c_s is not None), "resolved": int(r_s is not None),
            "in_sla": int(resolved is not None and _aware(resolved) <= due), "backlog": int(status in OPEN),
            "reopened": int((t.get("reopen_count") or 0) > 0), "ever_resolved": int(ever_resolved),
            "coordinate_s": c_s or 0, "resolve_s": r_s or 0, **rating_sums(t.get("rating"))}
    for key in perf_keys(t, tz):
        for perf_table, hist_table, row in _perf_rows(key):
            _add(acc, perf_table, row, perf, sign)
            for measure, secs in (("coordinate", c_s), ("resolve", r_s)):
                if secs is not None:
                    _add(acc, hist_table, (*row, measure, bucket_of(secs)), {"n": 1}, sign)


def rating_sums(score: int | None) -> dict[str, int]:
    """A ticket's citizen rating (bot/ratings.py) in fig_perf: rated, its score, and whether it was 1-2."""
    if score is None:
        return {}
    return {"rated": 1, "rating_total": int(score), "rated_low": int(score <= 2)}


def _proof_counts(acc: Acc, t: Row, tz: ZoneInfo, proofs: int, rejected: int, sign: int) -> None:
    if t.get("merged_into_id") is not None:
        return
    for key in perf_keys(t, tz):
        for perf_table, _hist, row in _perf_rows(key):
            _add(acc, perf_table, row, {"proofs": proofs, "rejected": rejected}, sign)


def _event_counts(conn: Connection, ticket_ids: list[int], statuses: tuple[str, ...]) -> dict[int, dict[str, int]]:
    """Per ticket: how many status events went to each of ``statuses`` (index on ticket_event.ticket_id)."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if not ticket_ids:
        return out
    rows = conn.execute(select(E.c.ticket_id, E.c.to_status, func.count())
                        .where(E.c.ticket_id.in_(ticket_ids), E.c.kind == "status", E.c.to_status.in_(statuses))
                        .group_by(E.c.ticket_id, E.c.to_status))
    for ticket_id, status, n in rows:
        out[ticket_id][status] = n
    return out


def ticket_changed(conn: Connection, before: Row | None, after: Row | None) -> None:
    """Keep the figures exact: call in the transaction that inserts (before None) or updates a ticket.

    A status change into MENUNGGU_VALIDASI or TL_DITOLAK counts one proof / rejection (its event is added
    after the update, as ``bot.tickets.transition`` does); when the ticket moves to another agency,
    kelurahan or month the proof counts of its earlier events move with it."""
    tz = tz_of(conn)
    pending = conn.info.get(PENDING_KEY)
    acc: Acc = pending if pending is not None else {}
    if before is not None:
        add_ticket(acc, before, tz, -1)
    if after is not None:
        add_ticket(acc, after, tz, 1)
    if before is not None and after is not None:
        if after["status"] != before["status"] and after["status"] in (PROOF, PROOF_REJECTED):
            _proof_counts(acc, after, tz, int(after["status"] == PROOF), int(after["status"] == PROOF_REJECTED), 1)
        if perf_keys(before, tz) != perf_keys(after, tz) or \
                before.get("merged_into_id") != after.get("merged_into_id"):
            counts = _event_counts(conn, [before["id"]], (PROOF, PROOF_REJECTED)).get(before["id"], {})
            for row, sign in ((before, -1), (after, 1)):
                _proof_counts(acc, row, tz, counts.get(PROOF, 0), counts.get(PROOF_REJECTED, 0), sign)
    if pending is None:
        apply(conn, acc)


@contextmanager
def batched(conn: Connection) -> Iterator[None]:
    """Collect the figures' deltas of every ticket change inside and write them once on leaving: a group
    commit of many tickets then costs one UPSERT per affected figure row, not one per ticket. Leave it
    before the transaction (or savepoint) commits; on an exception the deltas are dropped with it."""
    if PENDING_KEY in conn.info:  # already collecting: the outer block writes
        yield
        return
    acc: Acc = {}
    conn.info[PENDING_KEY] = acc
    try:
        yield
    finally:
        conn.info.pop(PENDING_KEY, None)
    apply(conn, acc)


def touches_figures(values: Row) -> bool:
    return any(k in values for k in COLUMNS) or any(k in values for k in LATER_COLUMNS)


_UPSERTS: dict[tuple[str, str], tuple[str, list[str]]] = {}


def _upsert(conn: Connection, name: str) -> tuple[str, list[str]]:
    """The UPSERT adding deltas to one figures table, compiled once per dialect: (SQL, parameter order).

    Run with ``exec_driver_sql``: the writer pays one driver call per table, without SQLAlchemy's
    per-execution compile and result set-up (a third of a ticket update's cost when measured)."""
    found = _UPSERTS.get((name, conn.dialect.name))
    if found is None:
        table = TABLES[name]
        ins = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)
        stmt = ins.on_conflict_do_update(index_elements=list(KEYS[name]),
                                         set_={c: table.c[c] + ins.excluded[c] for c in VALUES[name]})
        compiled = stmt.compile(dialect=conn.dialect)
        found = _UPSERTS[(name, conn.dialect.name)] = (str(compiled), list(compiled.positiontup or ()))
    return found


def _rows(acc: Acc) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Non-zero rows per table, tables and keys in a fixed order (concurrent writers lock rows in the same
    order on PostgreSQL, so they wait for each other instead of deadlocking)."""
    by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (name, key), values in sorted(acc.items(), key=lambda kv: (kv[0][0], tuple(map(str, kv[0][1])))):
        if any(values.values()):
            by_table[name].append({**dict(zip(KEYS[name], key)), **{c: values.get(c, 0) for c in VALUES[name]}})
    yield from by_table.items()


KOTA = "kota"


def kota_of(areas: Mapping[str, tuple[str, str | None]], code: str) -> str | None:
    """The kota an area lies in (itself, its parent or grandparent at level kota), from ``areas`` (code ->
    (level, parent code)); None outside any kota or for a code not in the area table."""
    node: str | None = code
    for _ in range(3):
        if node is None or node not in areas:
            return None
        level, parent = areas[node]
        if level == KOTA:
            return node
        node = parent
    return None


def area_tree(conn: Connection) -> dict[str, tuple[str, str | None]]:
    """code -> (level, parent) of every area (a few hundred rows)."""
    A = getattr(Area, "__table__")
    return {c: (lv, p) for c, lv, p in conn.execute(select(A.c.code, A.c.level, A.c.parent_code))}


@functools.lru_cache(maxsize=1)
def _kota_statement() -> Any:
    """Built once: every group commit runs it, and building and keying a statement with two aliases and a
    CASE anew cost more than executing it (issue 16: a fixed cost per group, paid most by small groups)."""
    A = getattr(Area, "__table__")
    p, g = A.alias("p"), A.alias("g")
    kota = case((A.c.level == KOTA, A.c.code), (p.c.level == KOTA, p.c.code), (g.c.level == KOTA, g.c.code))
    return (select(A.c.code, kota).select_from(A.outerjoin(p, p.c.code == A.c.parent_code)
                                                .outerjoin(g, g.c.code == p.c.parent_code))
            .where(A.c.code.in_(bindparam("codes", expanding=True))))


def kota_map(conn: Connection, codes: Sequence[str]) -> dict[str, str | None]:
    """``kota_of`` for ``codes``, in one statement (the area, its parent and grandparent joined)."""
    stmt = _kota_statement()
    out: dict[str, str | None] = {}
    for i in range(0, len(codes), 500):
        out.update({code: k for code, k in conn.execute(stmt, {"codes": list(codes[i:i + 500])})})
    return out


def _with_kota(conn: Connection, acc: Acc) -> None:
    """Add each kota's fig_city rows, from the per-kelurahan fig_count (all time) and fig_created (periods)
    rows of ``acc``: the kota of an area comes from the area table (a re-parented area needs ``aduan figures
    rebuild``, as a changed time zone does)."""
    rows = []  # (period, area, (category, agency, source, status), values)
    for (name, key), values in acc.items():
        if name == "fig_count":
            rows.append(("", key[0], key[1:], values))
        elif name == "fig_created":
            rows.append((key[0], key[1], key[2:], values))
    if not rows:
        return
    kotas = kota_map(conn, sorted({area for _, area, _, _ in rows if area}))
    for period, area, rest, values in rows:
        kota = kotas.get(area)
        if kota is not None:
            _add(acc, "fig_city", (period, kota, *rest), values, 1)


def apply(conn: Connection, acc: Acc) -> None:
    """Add the deltas in ``acc`` to the stored figures: one executemany UPSERT per table."""
    _with_kota(conn, acc)
    for name, rows in _rows(acc):
        sql, order = _upsert(conn, name)
        conn.exec_driver_sql(sql, [tuple(r[c] for c in order) for r in rows])


def expected(conn: Connection, *, events: bool = True) -> Acc:
    """Every figure recomputed from ``ticket`` and ``ticket_event``, in chunks of tickets (keyset on id).
    ``events`` False skips the status events: fig_perf's proof and ever-resolved counts are then wrong, for
    a caller that rebuilds only other tables (a third of the time at a million tickets)."""
    tz = tz_of(conn)
    acc: Acc = {}
    # The database's own columns, not the model's: migration 0006 runs this before a later one may add
    # ``source`` (issue 11) or ``rating``.
    present = {c["name"] for c in inspect(conn).get_columns("ticket")}
    cols = [T.c[c] for c in COLUMNS] + [T.c[c] for c in LATER_COLUMNS if c in present]
    stmt = select(*cols).where(T.c.id > bindparam("after")).order_by(T.c.id).limit(CHUNK)
    after = 0
    while True:
        tickets = conn.execute(stmt, {"after": after}).mappings().all()
        if not tickets:
            if "fig_city" in present_tables(conn):
                _with_kota(conn, acc)
            return acc
        after = tickets[-1]["id"]
        if events:
            _add_tickets(conn, acc, tickets, tz)
        else:
            for t in tickets:
                add_ticket(acc, t, tz, 1)


def _add_tickets(conn: Connection, acc: Acc, tickets: Sequence[Row], tz: ZoneInfo, perf_only: bool = False
                 ) -> None:
    """Add every contribution of ``tickets`` (the proof and ever-resolved counts from their status events)."""
    events = _event_counts(conn, [t["id"] for t in tickets], (PROOF, PROOF_REJECTED, DONE))
    for t in tickets:
        counts = events.get(t["id"], {})
        add_ticket(acc, t, tz, 1, ever_resolved=counts.get(DONE, 0) > 0, perf_only=perf_only)
        _proof_counts(acc, t, tz, counts.get(PROOF, 0), counts.get(PROOF_REJECTED, 0), 1)


def created_between(conn: Connection, since: datetime | None, until: datetime | None) -> Acc:
    """The figures of the tickets created in ``[since, until)`` only, recomputed from their rows (read
    through ix_ticket_created_at) and their status events (through the ticket_id index): the partial months
    at the edges of a report period, in the same shape as the stored figures so they merge by addition."""
    tz = tz_of(conn)
    acc: Acc = {}
    period = [c for c in (None if since is None else T.c.created_at >= since,
                          None if until is None else T.c.created_at < until) if c is not None]
    tickets = list(conn.execute(select(*[T.c[c] for c in COLUMNS], T.c.merged_into_id, T.c.rating).where(*period)).mappings())
    for i in range(0, len(tickets), CHUNK):
        _add_tickets(conn, acc, tickets[i:i + CHUNK], tz, perf_only=True)
    return acc


Span = tuple[bool, Optional[str], Optional[str], int]  # (yearly, first, end, sign): see bot.perf_figures.year_spans


def span_sums(conn: Connection, by: str, spans: Sequence[Span]
              ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """fig_perf's sums per group key (key, *PERF_SUMS) and fig_hist's counts per (key, measure, bucket) of
    grouping ``by``, over ``spans``: month or year ranges [first, end) (None: unbounded) of the month or year
    tables, each added or taken away (sign). One statement per table: the spans' rows are merged by the
    database (a UNION ALL summed), so only one row per group (and bucket) comes back."""
    out: list[list[tuple[Any, ...]]] = []
    for kind, by_cols in ((0, ("group_key",)), (1, ("group_key", "measure", "bucket"))):
        parts = []
        for yearly, first, end, sign in spans:
            row = PERF_TABLES[int(yearly)]
            t = TABLES[row[0] if kind == 0 else row[1]]
            cond = [t.c.grouping == by] + ([] if first is None else [t.c.month >= first]) + (
                [] if end is None else [t.c.month < end])
            values = [(t.c[c] * sign).label(c) for c in VALUES[t.name]]
            parts.append(select(*[t.c[c] for c in by_cols], *values).where(*cond))
        if not parts:
            out.append([])
            continue
        both = parts[0].subquery() if len(parts) == 1 else union_all(*parts).subquery()
        keys = [both.c[c] for c in by_cols]
        value_names = VALUES[PERF_TABLES[0][0] if kind == 0 else PERF_TABLES[0][1]]
        stmt = select(*keys, *[func.sum(both.c[c]) for c in value_names]).group_by(*keys)
        out.append([tuple(r) for r in conn.execute(stmt)])
    return out[0], out[1]


def present_tables(conn: Connection) -> list[str]:
    """The figures tables this database has: a migration older than the newest one (0006 runs ``rebuild``)
    knows only some of them."""
    existing = set(inspect(conn).get_table_names())
    return [name for name in TABLES if name in existing]


def stored(conn: Connection) -> Acc:
    out: Acc = {}
    for name in present_tables(conn):
        table = TABLES[name]
        for row in conn.execute(select(table)).mappings():
            out[(name, tuple(row[k] for k in KEYS[name]))] = {c: row[c] for c in VALUES[name]}
    return out


def rebuild(conn: Connection, only: Sequence[str] | None = None) -> int:
    """Replace every figure (or those of the tables in ``only``) with one recomputed from the base tables;
    returns the rows written."""
    names = [n for n in present_tables(conn) if only is None or n in only]
    acc = expected(conn, events="fig_perf" in names or "fig_perf_year" in names)
    # Only the columns the database has: migration 0006 rebuilds before 0017 adds fig_perf's rating sums.
    db = inspect(conn)
    for name in names:
        conn.execute(delete(TABLES[name]))
    written = 0
    for name, rows in _rows(acc):
        if name not in names:
            continue
        present = {c["name"] for c in db.get_columns(name)}
        rows = [{k: v for k, v in r.items() if k in present} for r in rows]
        for i in range(0, len(rows), CHUNK):
            conn.execute(TABLES[name].insert(), rows[i:i + CHUNK])
        written += len(rows)
    return written


def verify(conn: Connection) -> list[str]:
    """Every difference between the stored figures and a recomputation (empty: exact)."""
    names = set(present_tables(conn))
    want, have = {k: v for k, v in expected(conn).items() if k[0] in names}, stored(conn)
    problems = []
    for name, key in sorted(set(want) | set(have), key=lambda k: (k[0], tuple(map(str, k[1])))):
        w, h = want.get((name, key), {}), have.get((name, key), {})
        diffs = [f"{c} stored {h.get(c, 0)}, expected {w.get(c, 0)}" for c in VALUES[name]
                 if (h.get(c) or 0) != (w.get(c) or 0)]
        if diffs:
            problems.append(f"{name} {key}: " + "; ".join(diffs))
    return problems



def created_periods(first: date, last: date) -> list[str]:
    """The fig_created periods that cover the local days ``first`` to ``last`` (inclusive) exactly once:
    every whole month as one month row, the days of the partial months at the edges as day rows."""
    periods: list[str] = []
    day = first
    while day <= last:
        month_start = day.replace(day=1)
        next_month = (month_start + timedelta(days=32)).replace(day=1)
        if day == month_start and next_month - timedelta(days=1) <= last:
            periods.append(day.isoformat()[:7])
            day = next_month
        else:
            periods.append(day.isoformat())
            day += timedelta(days=1)
    return periods
