"""The SQL of the performance report (``bot.reports.performance``): counts per group in GROUP BY
queries, and one duration per ticket computed in SQL; the statistics are taken in ``bot.reports``."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, distinct, extract, func, literal, or_, select, text, true
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from bot.lifecycle import OPEN_STATUSES, Status
from store import figures, repo
from store.tables import OPEN_CONDITION


def performance_groups(conn: Connection, since: datetime | None, until: datetime | None, by: str, now: datetime
                       ) -> tuple[dict[Any, dict[str, Any]], dict[Any, list[float]], dict[Any, list[float]]]:
    """Per group key: the counts (tickets, coordinated, resolved, in_sla, backlog, overdue, reopened, ratings, and from
    the status events ever_resolved, proofs, rejected), and the coordinate and resolve durations in hours."""
    T, E = repo.T_TICKET, repo.T_EVENT
    key = {"agency": T.c.agency_code, "source": T.c.source}.get(by, T.c.area_code)
    where = _period(since, until)
    open_ = T.c.status.in_(OPEN)
    overdue = and_(open_, _overdue(now))

    def count_if(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    groups: dict[Any, dict[str, Any]] = {}
    for row in conn.execute(select(
        key.label("key"), func.count().label("tickets"), func.count(T.c.coordinated_at).label("coordinated"),
        func.count(T.c.resolved_at).label("resolved"),
        count_if(and_(T.c.resolved_at.is_not(None), T.c.resolved_at <= T.c.resolve_due)).label("in_sla"),
        count_if(open_).label("backlog"), count_if(overdue).label("overdue"),
        count_if(T.c.reopen_count > 0).label("reopened"),
        func.count(T.c.rating).label("rated"), func.coalesce(func.sum(T.c.rating), 0).label("rating_total"),
        count_if(T.c.rating <= 2).label("rated_low"),
    ).where(where).group_by(key)).mappings():
        groups[row["key"]] = dict(row)

    for row in conn.execute(select(
        key.label("key"),
        func.count(distinct(case((E.c.to_status == Status.SELESAI.value, E.c.ticket_id)))).label("ever_resolved"),
        count_if(E.c.to_status == Status.MENUNGGU_VALIDASI.value).label("proofs"),
        count_if(E.c.to_status == Status.TL_DITOLAK.value).label("rejected"),
    ).select_from(T.join(E, E.c.ticket_id == T.c.id)).where(
        where, E.c.kind == "status",
        E.c.to_status.in_([Status.SELESAI.value, Status.MENUNGGU_VALIDASI.value, Status.TL_DITOLAK.value]),
    ).group_by(key)).mappings():
        groups[row["key"]].update(row)

    coordinate: dict[Any, list[float]] = {k: [] for k in groups}
    resolve: dict[Any, list[float]] = {k: [] for k in groups}
    for k, c_h, r_h in conn.execute(select(
        key, _hours(conn, T.c.coordinated_at, T.c.created_at), _hours(conn, T.c.resolved_at, T.c.created_at),
    ).where(where, or_(T.c.coordinated_at.is_not(None), T.c.resolved_at.is_not(None)))):
        if c_h is not None:
            coordinate[k].append(float(c_h))
        if r_h is not None:
            resolve[k].append(float(r_h))

    return groups, coordinate, resolve


OPEN = sorted(str(s) for s in OPEN_STATUSES)


def _period(since: datetime | None, until: datetime | None, *, indexed: bool = True) -> Any:
    """``created_at`` in ``[since, until)``; not ``indexed``: written ``+created_at``, which SQLite's
    planner cannot serve from an index (its documented way to steer it), so it takes another index."""
    T = repo.T_TICKET
    created: Any = T.c.created_at if indexed else UnaryExpression(
        T.c.created_at, operator=operators.custom_op("+"), type_=T.c.created_at.type)
    return and_(true(), *([] if since is None else [created >= since]),
                *([] if until is None else [created < until]))


def _overdue(now: datetime) -> Any:
    """An open ticket past resolve_due, or past coordinate_due while MENUNGGU; one waiting in
    MENUNGGU_VALIDASI (clock stopped) only if its proof came in after resolve_due."""
    T = repo.T_TICKET
    now_p = literal(now, T.c.created_at.type)
    return or_(
        and_(T.c.status == Status.MENUNGGU.value, T.c.coordinate_due < now_p),
        and_(T.c.status != Status.MENUNGGU_VALIDASI.value, T.c.resolve_due < now_p),
        and_(T.c.status == Status.MENUNGGU_VALIDASI.value, func.coalesce(T.c.paused_at, now_p) > T.c.resolve_due),
    )


def overdue_counts(conn: Connection, since: datetime | None, until: datetime | None, by: str, now: datetime
                   ) -> dict[Any, int]:
    """Overdue tickets per group key among those created in ``[since, until)``: only the open tickets of the
    period are read, from the covering partial index ix_ticket_open_created. The filter is a MATERIALIZED CTE:
    SQLite's planner would otherwise walk ix_ticket_area_created over every ticket of the period for the
    GROUP BY's order. At 1M tickets, 90 days: 1.1 s through ix_ticket_status_resolve_due, 31 ms this way."""
    T = repo.T_TICKET
    key = T.c.agency_code if by == "agency" else T.c.area_code
    # The open condition spelled as ix_ticket_open_created's (migration 0015): the open tickets of the
    # period are read from that covering partial index alone, not the 60k+ open tickets of the history.
    found = select(key.label("k")).where(text(OPEN_CONDITION), _period(since, until), _overdue(now)).cte("overdue")
    found = found.prefix_with("MATERIALIZED")
    stmt = select(found.c.k, func.count()).group_by(found.c.k)
    return {k: int(n) for k, n in conn.execute(stmt)}


def created_count(conn: Connection, since: datetime, until: datetime) -> int:
    """Tickets created in ``[since, until)`` (ix_ticket_created_at)."""
    T = repo.T_TICKET
    return int(conn.execute(select(func.count()).select_from(T).where(_period(since, until))).scalar_one())


def figure_rows(conn: Connection, by: str, first: str | None, end: str | None
                ) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    """The stored fig_perf columns summed per group key, and the fig_hist counts per (key, measure, bucket),
    of grouping ``by`` over the months ``first`` <= month < ``end`` (``YYYY-MM``; None: unbounded)."""
    out = []
    for name, by_cols in (("fig_perf", ("group_key",)), ("fig_hist", ("group_key", "measure", "bucket"))):
        t = figures.TABLES[name]
        cond = [t.c.grouping == by] + ([] if first is None else [t.c.month >= first]) + (
            [] if end is None else [t.c.month < end])
        keys = [t.c[c] for c in by_cols]
        sums = [func.sum(t.c[c]).label(c) for c in figures.VALUES[name]]
        out.append(conn.execute(select(*keys, *sums).where(*cond).group_by(*keys)).mappings().all())
    perf, hist = out
    return [dict(r) for r in perf], [(r["group_key"], r["measure"], r["bucket"], r["n"]) for r in hist]


def _hours(conn: Connection, later: Any, earlier: Any) -> Any:
    if conn.dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 24.0
    return extract("epoch", later - earlier) / 3600.0


def names(conn: Connection, by: str, keys: list[Any]) -> dict[Any, str]:
    """Agency or area names by code, in chunks of 500 (bound-parameter limits); a source is its own name."""
    if not keys or by == "source":
        return {}
    table = repo.T_AGENCY if by == "agency" else repo.T_AREA
    out: dict[Any, str] = {}
    for i in range(0, len(keys), 500):
        out.update(conn.execute(select(table.c.code, table.c.name).where(table.c.code.in_(keys[i:i + 500]))).all())
    return out
