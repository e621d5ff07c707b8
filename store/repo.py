"""Repository functions: small, synchronous, each taking a Connection.

They run inside a transaction opened by ``store.db.Database`` and use
SQLAlchemy Core on the SQLModel tables for speed on the intake hot path.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, RowMapping, Table, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from store.tables import (
    Agency,
    Area,
    Attachment,
    Category,
    ChannelState,
    Message,
    Reporter,
    Staff,
    Ticket,
    TicketEvent,
)

T_AREA: Table = Area.__table__  # type: ignore[assignment]
T_AGENCY: Table = Agency.__table__  # type: ignore[assignment]
T_CATEGORY: Table = Category.__table__  # type: ignore[assignment]
T_STAFF: Table = Staff.__table__  # type: ignore[assignment]
T_REPORTER: Table = Reporter.__table__  # type: ignore[assignment]
T_TICKET: Table = Ticket.__table__  # type: ignore[assignment]
T_MESSAGE: Table = Message.__table__  # type: ignore[assignment]
T_EVENT: Table = TicketEvent.__table__  # type: ignore[assignment]
T_ATTACHMENT: Table = Attachment.__table__  # type: ignore[assignment]
T_STATE: Table = ChannelState.__table__  # type: ignore[assignment]


def _insert(conn: Connection, table: Table):  # type: ignore[no-untyped-def]
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def insert_ignore(conn: Connection, table: Table, values: dict[str, Any], conflict: Sequence[str]) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id; None when the row existed."""
    stmt = _insert(conn, table).values(**values).on_conflict_do_nothing(index_elements=list(conflict))
    return conn.execute(stmt.returning(table.c.id)).scalar()


def upsert(conn: Connection, table: Table, values: dict[str, Any], key: Sequence[str], update_cols: Iterable[str]) -> None:
    stmt = _insert(conn, table).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=list(key), set_={c: stmt.excluded[c] for c in update_cols})
    conn.execute(stmt)


def insert(conn: Connection, table: Table, values: dict[str, Any]) -> int:
    return conn.execute(table.insert().values(**values).returning(table.c.id)).scalar_one()


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def loads(value: str | None) -> Any:
    return json.loads(value) if value else None


# --- reporters ---------------------------------------------------------------

def get_or_create_reporter(
    conn: Connection, channel: str, address: str, now: datetime, display_name: str | None, language: str | None
) -> RowMapping:
    insert_ignore(
        conn,
        T_REPORTER,
        dict(channel=channel, address=address, display_name=display_name, language=language,
             opted_out=False, unreachable=False, created_at=now, updated_at=now),
        ("channel", "address"),
    )
    row = conn.execute(
        select(T_REPORTER).where(T_REPORTER.c.channel == channel, T_REPORTER.c.address == address)
    ).mappings().one()
    return row


def update_reporter(conn: Connection, reporter_id: int, now: datetime, **values: Any) -> None:
    conn.execute(update(T_REPORTER).where(T_REPORTER.c.id == reporter_id).values(updated_at=now, **values))


def get_reporter(conn: Connection, reporter_id: int) -> RowMapping | None:
    return conn.execute(select(T_REPORTER).where(T_REPORTER.c.id == reporter_id)).mappings().first()


# --- tickets -----------------------------------------------------------------

def ticket_by_tracking_id(conn: Connection, tracking_id: str) -> RowMapping | None:
    return conn.execute(select(T_TICKET).where(T_TICKET.c.tracking_id == tracking_id)).mappings().first()


def ticket_by_id(conn: Connection, ticket_id: int) -> RowMapping | None:
    return conn.execute(select(T_TICKET).where(T_TICKET.c.id == ticket_id)).mappings().first()


def latest_open_ticket(conn: Connection, reporter_id: int, statuses: Iterable[str], since: datetime) -> RowMapping | None:
    return conn.execute(
        select(T_TICKET)
        .where(
            T_TICKET.c.reporter_id == reporter_id,
            T_TICKET.c.status.in_(list(statuses)),
            T_TICKET.c.last_inbound_at >= since,
        )
        .order_by(T_TICKET.c.last_inbound_at.desc())
        .limit(1)
    ).mappings().first()


def update_ticket(conn: Connection, ticket_id: int, **values: Any) -> None:
    conn.execute(update(T_TICKET).where(T_TICKET.c.id == ticket_id).values(**values))


def add_event(
    conn: Connection,
    ticket_id: int,
    kind: str,
    actor: str,
    now: datetime,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str | None = None,
    public: bool = False,
    data: dict[str, Any] | None = None,
) -> int:
    return insert(
        conn,
        T_EVENT,
        dict(ticket_id=ticket_id, kind=kind, actor=actor, from_status=from_status, to_status=to_status,
             reason=reason, public=public, data=dumps(data), created_at=now),
    )


def events_for(conn: Connection, ticket_id: int, public_only: bool = False) -> list[RowMapping]:
    q = select(T_EVENT).where(T_EVENT.c.ticket_id == ticket_id)
    if public_only:
        q = q.where(T_EVENT.c.public.is_(True))
    return list(conn.execute(q.order_by(T_EVENT.c.created_at, T_EVENT.c.id)).mappings())


# --- messages ----------------------------------------------------------------

def ticket_for_thread_refs(conn: Connection, refs: Sequence[str]) -> int | None:
    """The ticket of any stored message whose provider id is one of ``refs``."""
    if not refs:
        return None
    return conn.execute(
        select(T_MESSAGE.c.ticket_id)
        .where(T_MESSAGE.c.external_id.in_(list(refs)[:50]), T_MESSAGE.c.ticket_id.is_not(None))
        .order_by(T_MESSAGE.c.id.desc())
        .limit(1)
    ).scalar()


def last_inbound_context(conn: Connection, ticket_id: int, reporter_id: int) -> dict[str, Any]:
    """Reply context of the reporter's latest inbound message on a ticket."""
    raw = conn.execute(
        select(T_MESSAGE.c.reply_context)
        .where(T_MESSAGE.c.ticket_id == ticket_id, T_MESSAGE.c.reporter_id == reporter_id,
               T_MESSAGE.c.direction == "in")
        .order_by(T_MESSAGE.c.id.desc())
        .limit(1)
    ).scalar()
    return loads(raw) or {}


def count_recent_outbound(conn: Connection, channel: str, recipient: str, since: datetime) -> int:
    return conn.execute(
        select(func.count())
        .select_from(T_MESSAGE)
        .where(and_(T_MESSAGE.c.channel == channel, T_MESSAGE.c.recipient == recipient,
                    T_MESSAGE.c.direction == "out", T_MESSAGE.c.created_at >= since))
    ).scalar_one()


# --- channel state -----------------------------------------------------------

def get_state(conn: Connection, key: str) -> str | None:
    return conn.execute(select(T_STATE.c.value).where(T_STATE.c.key == key)).scalar()


def set_state(conn: Connection, key: str, value: str, now: datetime) -> None:
    upsert(conn, T_STATE, dict(key=key, value=value, updated_at=now), ("key",), ("value", "updated_at"))
