"""The outbox's SQL: lease conversation heads per lane, record outcomes, requeue.

Outbound rows of the ``message`` table are the outbox. Two rules live here:

* **Lanes.** Every outbound row carries a ``lane`` (its channel, or
  ``<channel>:staff`` for posts to officers), so each lane is leased on its
  own and a hanging provider only holds its own rows.
* **Order per conversation.** Only the head of a conversation (channel,
  recipient) is leased: a row waits while an earlier row to the same
  recipient is still queued or being sent, whatever process holds it.

The lease and head queries spell their status values as literals so that they
match the partial indexes of migration 0004 (SQLite only uses a partial index
when the query repeats its WHERE terms literally, not as bound parameters).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import ColumnClause, Connection, Select, bindparam, func, literal_column, select, text, update
from sqlalchemy.exc import IntegrityError

from store import repo

M = repo.T_MESSAGE
# Posts to officers (Slack threads, the Telegram staff group): their own lane,
# so that officers' traffic never delays a citizen's message on the same bot.
STAFF_KINDS = frozenset({
    "staff_ticket", "staff_event", "staff_escalation", "staff_notice", "staff_handoff", "staff_answer",
    "sla_warning", "sla_breach",
})


def lane_name(channel: str, kind: str) -> str:
    """The lane of an outbound row: citizens' and officers' traffic never share one."""
    return f"{channel}:staff" if kind in STAFF_KINDS else channel


def lane_channel(lane: str) -> str:
    return lane.split(":", 1)[0]


@dataclass
class Outcome:
    """What one send attempt ended in; written by ``record``."""

    message_id: int
    status: str  # sent | retry | throttled | failed
    external_ids: list[str] = field(default_factory=list)
    parts_sent: int = 0
    error: str | None = None
    retry_at: datetime | None = None
    count_attempt: bool = True
    reporter_flags: dict[str, Any] = field(default_factory=dict)
    # The provider refused it as outside the channel's messaging window (bot/window.py reaches elsewhere).
    window_refused: bool = False


QUEUED: ColumnClause[str] = literal_column("'queued'")
SENDING: ColumnClause[str] = literal_column("'sending'")
PENDING_LITERAL: tuple[ColumnClause[str], ...] = (literal_column("'queued'"), literal_column("'sending'"))
OUT: ColumnClause[str] = literal_column("'out'")
ONE: ColumnClause[int] = literal_column("1")


def due_lanes(conn: Connection, now: datetime) -> list[str]:
    """Lanes that have at least one queued row due now (a range of ix_message_queued_due)."""
    q = select(M.c.lane).distinct().where(M.c.direction == OUT, M.c.status == QUEUED, M.c.next_attempt_at <= now)
    return [r for r in conn.execute(q).scalars() if r]


def next_due(conn: Connection) -> datetime | None:
    """When the earliest queued row falls due (one probe of ix_message_queued_due); None: nothing queued."""
    q = select(func.min(M.c.next_attempt_at)).where(M.c.direction == OUT, M.c.status == QUEUED)
    due: datetime | None = conn.execute(q).scalar()
    return due


def _heads(lane: str, now: datetime, limit: int) -> Select[int]:
    """Queued rows of ``lane`` due now with no earlier pending row to the same recipient."""
    P = M.alias("p")
    earlier_pending = (
        select(ONE).select_from(P)
        .where(P.c.direction == OUT, P.c.status.in_(PENDING_LITERAL), P.c.channel == M.c.channel,
               P.c.recipient == M.c.recipient, P.c.id < M.c.id)
    )
    return (
        select(M.c.id)
        .where(M.c.direction == OUT, M.c.status == QUEUED, M.c.lane == lane, M.c.next_attempt_at <= now,
               ~earlier_pending.exists())
        .order_by(M.c.id)
        .limit(limit)
    )


# The same on SQLite, told to walk the lane in id order and stop at ``limit``:
# without statistics its planner would sort every due row of the outbox first
# (SQLAlchemy renders no index hints for SQLite, hence the text).
_HEADS_SQLITE = text(
    "SELECT m.id FROM message AS m INDEXED BY ix_message_lane_queued "
    "WHERE m.direction = 'out' AND m.status = 'queued' AND m.lane = :lane AND m.next_attempt_at <= :now "
    "AND NOT EXISTS (SELECT 1 FROM message AS p WHERE p.direction = 'out' AND p.status IN ('queued', 'sending') "
    "AND p.channel = m.channel AND p.recipient = m.recipient AND p.id < m.id) "
    "ORDER BY m.id LIMIT :limit"
).bindparams(bindparam("now", type_=M.c.next_attempt_at.type)).columns(id=M.c.id.type)


def _leased_columns() -> list[Any]:
    """The row and what sending it needs: tracking ID, photo, whether the reporter can be reached."""
    T, A, R = repo.T_TICKET, repo.T_ATTACHMENT, repo.T_REPORTER
    return [M, T.c.tracking_id, A.c.sha256.label("att_sha"), A.c.content_type.label("att_type"),
            R.c.opted_out, R.c.unreachable]


def lease(conn: Connection, lane: str, owner: str, now: datetime, until: datetime, limit: int) -> list[dict[str, Any]]:
    """Lease up to ``limit`` conversation heads of ``lane``, oldest first, with what sending needs.

    Three short statements: the heads (index-walked, stopping at ``limit``), what
    sending them needs, and the lease itself.
    """
    if conn.dialect.name != "sqlite":
        return _lease_in_one(conn, lane, owner, now, until, limit)
    ids = list(conn.execute(_HEADS_SQLITE, {"lane": lane, "now": now, "limit": limit}).scalars())
    if not ids:
        return []
    T, A, R = repo.T_TICKET, repo.T_ATTACHMENT, repo.T_REPORTER
    rows = [dict(r) for r in conn.execute(
        select(*_leased_columns())
        .select_from(M.outerjoin(T, T.c.id == M.c.ticket_id).outerjoin(A, A.c.id == M.c.attachment_id)
                     .outerjoin(R, R.c.id == M.c.reporter_id))
        .where(M.c.id.in_(ids)).order_by(M.c.id)).mappings()]
    conn.execute(update(M).where(M.c.id.in_([r["id"] for r in rows]), M.c.status == "queued")
                 .values(status="sending", lease_owner=owner, lease_until=until))
    for r in rows:
        r.update(status="sending", lease_owner=owner, lease_until=until)
    return rows


def _lease_in_one(conn: Connection, lane: str, owner: str, now: datetime, until: datetime,
                  limit: int) -> list[dict[str, Any]]:
    """PostgreSQL: the same three steps as one statement (one round trip): the heads locked
    (SKIP LOCKED: another process's lease is passed over), leased, and joined with what sending needs."""
    T, A, R = repo.T_TICKET, repo.T_ATTACHMENT, repo.T_REPORTER
    heads = _heads(lane, now, limit).with_for_update(skip_locked=True, of=M).cte("heads")
    leased = (update(M).where(M.c.id.in_(select(heads.c.id)), M.c.status == QUEUED)
              .values(status="sending", lease_owner=owner, lease_until=until)
              .returning(*M.c).cte("leased"))
    stmt = (select(leased, T.c.tracking_id, A.c.sha256.label("att_sha"), A.c.content_type.label("att_type"),
                   R.c.opted_out, R.c.unreachable)
            .select_from(leased.outerjoin(T, T.c.id == leased.c.ticket_id)
                         .outerjoin(A, A.c.id == leased.c.attachment_id)
                         .outerjoin(R, R.c.id == leased.c.reporter_id))
            .order_by(leased.c.id))
    return [dict(r) for r in conn.execute(stmt).mappings()]


_OUTCOME_FIELDS = ("status", "attempts", "lease_owner", "lease_until", "updated_at", "parts_sent", "error",
                   "payload", "sent_at", "external_id", "next_attempt_at")
# One statement for a whole group of outcomes (executemany): every row sets every field.
_UPDATE_OUTCOME = update(M).where(M.c.id == bindparam("b_id")).values(
    **{f: bindparam(f"b_{f}") for f in _OUTCOME_FIELDS})


def record(conn: Connection, outcomes: Iterable[Outcome], owner: str, now: datetime,
           horizon: timedelta, careful: bool = False) -> list[str]:
    """Write outcomes of our own leases; returns the status each row ended in ("" if not ours).

    A retry whose message is older than ``horizon`` becomes a dead letter. On PostgreSQL the group is
    written without a savepoint (two round trips fewer per group): a provider id already on another row
    then raises ``IntegrityError``, and the caller runs it again, rolled back, with ``careful``.
    """
    outcomes = list(outcomes)
    current = {r["id"]: r for r in conn.execute(
        select(M.c.id, M.c.attempts, M.c.reporter_id, M.c.payload, M.c.lease_owner, M.c.created_at)
        .where(M.c.id.in_([o.message_id for o in outcomes]))).mappings()}
    final: list[str] = []
    updates: list[dict[str, Any]] = []
    for o in outcomes:
        row = current.get(o.message_id)
        if row is None or row["lease_owner"] != owner:
            final.append("")  # our lease expired and another process took the row over
            continue
        values = _outcome_values(o, row, now, horizon)
        updates.append({"b_id": o.message_id, **{f"b_{f}": values[f] for f in _OUTCOME_FIELDS}})
        final.append(values["status"])
        if o.reporter_flags and row["reporter_id"]:
            repo.update_reporter(conn, row["reporter_id"], now, **o.reporter_flags)
    if updates and not careful and conn.dialect.name == "postgresql":
        conn.execute(_UPDATE_OUTCOME, updates)
    elif updates:
        try:
            with conn.begin_nested():
                conn.execute(_UPDATE_OUTCOME, updates)
        except IntegrityError:
            _record_one_by_one(conn, updates)
    return final


def _record_one_by_one(conn: Connection, updates: list[dict[str, Any]]) -> None:
    """A provider id that is not unique channel-wide must not lose an outcome (the message
    was sent): such a row is kept without its external id."""
    for values in updates:
        try:
            with conn.begin_nested():
                conn.execute(_UPDATE_OUTCOME, [values])
        except IntegrityError:
            conn.execute(_UPDATE_OUTCOME, [{**values, "b_external_id": None}])


def _outcome_values(o: Outcome, row: Any, now: datetime, horizon: timedelta) -> dict[str, Any]:
    attempts = row["attempts"] + (1 if o.count_attempt else 0)
    payload = repo.loads(row["payload"]) or {}
    if o.external_ids:
        payload["part_ids"] = o.external_ids  # parts already sent are not sent again on a retry
    values: dict[str, Any] = dict(attempts=attempts, lease_owner=None, lease_until=None, updated_at=now,
                                  parts_sent=o.parts_sent, error=o.error, payload=repo.dumps(payload),
                                  sent_at=None, external_id=None, next_attempt_at=now)
    if o.status == "sent":
        values.update(status="sent", sent_at=now, external_id=o.external_ids[0] if o.external_ids else None)
    elif o.status in ("retry", "throttled"):
        if o.status == "retry" and now - row["created_at"] >= horizon:
            values.update(status="dead", error=f"{o.error} (still failing after {_hours(horizon)} h: dead letter)")
        else:
            values.update(status="queued", next_attempt_at=o.retry_at or now)
    else:
        values.update(status=o.status)
    return values


def _hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:g}"


def release(conn: Connection, owner: str, ids: list[int]) -> None:
    """Give back leases we hold without an outcome (graceful shutdown)."""
    if ids:
        conn.execute(update(M).where(M.c.id.in_(ids), M.c.lease_owner == owner, M.c.status == "sending")
                     .values(status="queued", lease_owner=None, lease_until=None))


def requeue(conn: Connection, message_id: int, now: datetime) -> bool:
    """Put a dead or failed outbound message back in the queue (staff action).

    Its retry horizon starts again from now.
    """
    res = conn.execute(
        update(M).where(M.c.id == message_id, M.c.direction == "out", M.c.status.in_(["dead", "failed"]))
        .values(status="queued", attempts=0, next_attempt_at=now, lease_owner=None, lease_until=None,
                updated_at=now, created_at=now)
    )
    return res.rowcount == 1


def reclaim_expired(conn: Connection, now: datetime) -> int:
    """Requeue messages whose sender died holding the lease."""
    res = conn.execute(
        # Literals: a range of the partial ix_message_sending_lease, never a walk of sent rows.
        update(M).where(M.c.direction == OUT, M.c.status == SENDING, M.c.lease_until < now)
        .values(status="queued", lease_owner=None, lease_until=None, next_attempt_at=now)
    )
    return res.rowcount


def dead_letter_unserved(conn: Connection, lanes: Iterable[str], served_channels: Iterable[str],
                         now: datetime) -> int:
    """Dead-letter queued rows of ``lanes`` whose channel has no adapter, with the reason."""
    served = set(served_channels)
    count = 0
    for lane in lanes:
        channel = lane_channel(lane)
        if channel in served:
            continue
        res = conn.execute(
            update(M).where(M.c.direction == "out", M.c.status == "queued", M.c.lane == lane)
            .values(status="dead", updated_at=now,
                    error=f"channel {channel!r} is not configured on this gateway: nothing can send it")
        )
        count += res.rowcount
    return count


def lane_backlog(conn: Connection) -> dict[str, tuple[int, datetime]]:
    """Per lane, how many rows are pending and the creation time of the oldest (for /metrics)."""
    rows = conn.execute(select(M.c.lane, func.count(), func.min(M.c.created_at))
                        .where(M.c.direction == OUT, M.c.status.in_(PENDING_LITERAL)).group_by(M.c.lane))
    return {lane: (int(count), oldest) for lane, count, oldest in rows if lane and oldest is not None}
