"""Message rows the intake side reads and changes after the fact: delivery receipts, failed inbound
messages kept for retry, webhook bodies no adapter could parse, and the operator's view of them."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select, update

from store import repo

M = repo.T_MESSAGE


def insert_failed(conn: Connection, values: dict[str, Any]) -> int | None:
    """Keep an inbound message that failed; None when one with its provider id is already kept."""
    return repo.insert_ignore(conn, M, values, ("channel", "direction", "external_id"))


def outbound_by_external_id(conn: Connection, channel: str, external_id: str) -> RowMapping | None:
    """The outbound message a provider's delivery receipt is about."""
    return conn.execute(
        select(M.c.id, M.c.status, M.c.reporter_id, M.c.recipient)
        .where(M.c.channel == channel, M.c.direction == "out", M.c.external_id == external_id)
    ).mappings().first()


def update_message(conn: Connection, message_id: int, **values: Any) -> None:
    conn.execute(update(M).where(M.c.id == message_id).values(**values))


def delete_message(conn: Connection, message_id: int) -> None:
    conn.execute(M.delete().where(M.c.id == message_id))


def failed_inbound(conn: Connection, limit: int, only_prefix: str | None = None) -> list[dict[str, Any]]:
    """Failed inbound messages, oldest first; with ``only_prefix``, those whose external id starts with it."""
    q = select(M.c.id, M.c.external_id, M.c.payload, M.c.raw).where(M.c.direction == "in", M.c.status == "failed")
    if only_prefix is not None:
        q = q.where(M.c.external_id.startswith(only_prefix))
    return [dict(r) for r in conn.execute(q.order_by(M.c.id).limit(limit)).mappings()]


def failed_inbound_newest(conn: Connection, limit: int) -> list[RowMapping]:
    """Failed inbound messages for the operator, newest first."""
    return list(conn.execute(
        select(M.c.id, M.c.channel, M.c.external_id, M.c.kind, M.c.error, M.c.raw, M.c.created_at)
        .where(M.c.direction == "in", M.c.status == "failed").order_by(M.c.id.desc()).limit(limit)
    ).mappings())


def discard_failed_inbound(conn: Connection, message_id: int, now: datetime) -> bool:
    """Mark a failed inbound message discarded: kept for the record, out of the failed list and retries."""
    changed = conn.execute(update(M).where(M.c.id == message_id, M.c.direction == "in", M.c.status == "failed")
                           .values(status="discarded", updated_at=now)).rowcount
    return bool(changed)


def outbound_newest(conn: Connection, statuses: list[str], limit: int) -> list[RowMapping]:
    """Outbound messages in ``statuses`` for the operator, newest first."""
    return list(conn.execute(
        select(M.c.id, M.c.channel, M.c.kind, M.c.status, M.c.attempts, M.c.error, M.c.ticket_id,
               M.c.created_at, M.c.updated_at)
        .where(M.c.direction == "out", M.c.status.in_(statuses)).order_by(M.c.id.desc()).limit(limit)
    ).mappings())


def ticket_of_message(conn: Connection, message_id: int) -> int | None:
    return conn.execute(select(M.c.ticket_id).where(M.c.id == message_id)).scalar()
