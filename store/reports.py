"""The SQL of the performance report (``bot.reports.performance``): counts per group in GROUP BY
queries, and one duration per ticket computed in SQL; the statistics are taken in ``bot.reports``."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, distinct, extract, func, literal, or_, select, true

from bot.lifecycle import OPEN_STATUSES, Status
from store import repo


def performance_groups(conn: Connection, since: datetime | None, until: datetime | None, by: str, now: datetime
                       ) -> tuple[dict[Any, dict[str, Any]], dict[Any, list[float]], dict[Any, list[float]]]:
    """Per group key: the counts (tickets, coordinated, resolved, in_sla, backlog, overdue, reopened, and from
    the status events ever_resolved, proofs, rejected), and the coordinate and resolve durations in hours."""
    T, E = repo.T_TICKET, repo.T_EVENT
    key = {"agency": T.c.agency_code, "source": T.c.source}.get(by, T.c.area_code)
    period = []
    if since is not None:
        period.append(T.c.created_at >= since)
    if until is not None:
        period.append(T.c.created_at < until)
    where = and_(true(), *period)
    open_ = T.c.status.in_(sorted(str(s) for s in OPEN_STATUSES))
    now_p = literal(now, T.c.created_at.type)
    overdue = and_(open_, or_(
        and_(T.c.status == Status.MENUNGGU.value, T.c.coordinate_due < now_p),
        and_(T.c.status != Status.MENUNGGU_VALIDASI.value, T.c.resolve_due < now_p),
        and_(T.c.status == Status.MENUNGGU_VALIDASI.value, func.coalesce(T.c.paused_at, now_p) > T.c.resolve_due),
    ))

    def count_if(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    groups: dict[Any, dict[str, Any]] = {}
    for row in conn.execute(select(
        key.label("key"), func.count().label("tickets"), func.count(T.c.coordinated_at).label("coordinated"),
        func.count(T.c.resolved_at).label("resolved"),
        count_if(and_(T.c.resolved_at.is_not(None), T.c.resolved_at <= T.c.resolve_due)).label("in_sla"),
        count_if(open_).label("backlog"), count_if(overdue).label("overdue"),
        count_if(T.c.reopen_count > 0).label("reopened"),
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
