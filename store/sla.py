"""Queries of the SLA sweep: tickets with an alert possibly due, and the alerts recorded (``sla_alert``).

Four EXISTS probes on the UNIQUE (ticket_id, kind, deadline) index tell which
alerts of a ticket's current deadlines are recorded; tickets already breached
and escalated drop out in SQL. Recording is ``INSERT ... ON CONFLICT DO
NOTHING`` so concurrent sweeps never record (and send) an alert twice.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, RowMapping, and_, bindparam, exists, or_, select

from bot.lifecycle import Status
from bot.sla import ALERT_KINDS, COORDINATE_BREACH, COORDINATE_WARNING, RESOLVE_BREACH, RESOLVE_WARNING
from store import repo
from store.tables import SlaAlert

T_ALERT = repo.table_of(SlaAlert)

# Statuses whose clocks run (MENUNGGU_VALIDASI is paused; closed tickets are done).
SWEPT = sorted({Status.MENUNGGU, Status.KOORDINASI, Status.DISPOSISI, Status.PROSES, Status.TL_DITOLAK})
DEADLINE_COLUMN = {COORDINATE_WARNING: "coordinate_due", COORDINATE_BREACH: "coordinate_due",
                   RESOLVE_WARNING: "resolve_due", RESOLVE_BREACH: "resolve_due"}


def _candidates(ids: bool) -> Any:
    """Open, unpaused tickets with some alert not yet recorded, and which alerts are recorded."""
    T, A = repo.T_TICKET, T_ALERT

    def recorded(kind: str) -> Any:
        col = T.c[DEADLINE_COLUMN[kind]]
        return exists().where(A.c.ticket_id == T.c.id, A.c.kind == kind, A.c.deadline == col)

    stmt = select(
        T.c.id, T.c.tracking_id, T.c.status, T.c.category_code, T.c.agency_code, T.c.area_code, T.c.created_at,
        T.c.coordinate_due, T.c.resolve_due, T.c.resolve_started_at, T.c.paused_hours,
        *(recorded(k).label(k) for k in ALERT_KINDS),
    ).where(
        T.c.status.in_([str(s) for s in SWEPT]),
        or_((T.c.status == Status.MENUNGGU.value) & ~recorded(COORDINATE_BREACH), ~recorded(RESOLVE_BREACH)),
    )
    if ids:
        stmt = stmt.where(T.c.id.in_(bindparam("ids", expanding=True)))
    return stmt.order_by(T.c.id)


def candidates(conn: Connection, ticket_ids: Sequence[int] | None = None) -> Iterable[RowMapping]:
    """Swept tickets (all, or ``ticket_ids``) with a flag per alert kind: recorded for the current deadline."""
    if ticket_ids is None:
        return conn.execute(repo._cached(("sla_candidates", False), lambda: _candidates(False))).mappings()
    stmt = repo._cached(("sla_candidates", True), lambda: _candidates(True))
    return conn.execute(stmt, {"ids": list(ticket_ids)}).mappings().all()


def due_window(conn: Connection, horizon_start: datetime, now: datetime, limit: int) -> list[int]:
    """Swept tickets that may have an alert due, in id order: up to ``limit`` whose coordinate or resolve
    deadline passed at or after ``horizon_start`` without its breach recorded, and up to ``limit`` whose deadline
    is still ahead without its warning recorded; earliest deadline first.

    Each is a LIMITed range read of an index leading with the deadline (``ix_ticket_resolve_due_status``,
    ``ix_ticket_coordinate_due_status``), so a sweep reads a bounded number of tickets however long the history.
    """
    picked: list[int] = []
    for kinds, low in (((COORDINATE_BREACH, RESOLVE_BREACH), horizon_start), ((COORDINATE_WARNING, RESOLVE_WARNING),
                                                                              now)):
        found: list[tuple[datetime, int]] = []
        for kind in kinds:
            stmt = repo._cached(("sla_window", kind), lambda kind=kind: _window(kind))
            found += [(due, tid) for tid, due in conn.execute(stmt, {"low": low, "now": now, "n": limit})]
        picked += [tid for _, tid in sorted(found)[:limit]]
    return sorted(set(picked))


def _window(kind: str) -> Any:
    """Breaches: the deadline in [low, now]; warnings: after ``now``. Not yet recorded for that deadline."""
    T, A = repo.T_TICKET, T_ALERT
    col = T.c[DEADLINE_COLUMN[kind]]
    statuses = [Status.MENUNGGU.value] if col.name == "coordinate_due" else [str(s) for s in SWEPT]
    if kind in (COORDINATE_BREACH, RESOLVE_BREACH):
        in_range = and_(col >= bindparam("low", type_=col.type), col <= bindparam("now", type_=col.type))
    else:
        in_range = col > bindparam("low", type_=col.type)
    return (select(T.c.id, col)
            .where(in_range, T.c.status.in_(statuses),
                   ~exists().where(A.c.ticket_id == T.c.id, A.c.kind == kind, A.c.deadline == col))
            .order_by(col, T.c.id).limit(bindparam("n")))


def record_alert(conn: Connection, ticket_id: int, kind: str, deadline: datetime, now: datetime,
                 superseded: bool) -> int | None:
    """The new alert's id, or None when it was recorded already (by this or another sweep)."""
    return repo.insert_ignore(conn, T_ALERT, dict(ticket_id=ticket_id, kind=kind, deadline=deadline, created_at=now,
                                                  message_id=None, superseded=superseded),
                              ("ticket_id", "kind", "deadline"))


def set_alert_message(conn: Connection, alert_id: int, message_id: int) -> None:
    repo.update_by_id(conn, T_ALERT, alert_id, {"message_id": message_id})


def set_digest_message(conn: Connection, alert_ids: Sequence[int], message_id: int) -> None:
    """Point the alerts summarised in one digest post at that post."""
    for i in range(0, len(alert_ids), 500):
        conn.execute(T_ALERT.update().where(T_ALERT.c.id.in_(list(alert_ids[i:i + 500]))).values(message_id=message_id))
