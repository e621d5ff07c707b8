"""Repository functions: small, synchronous, each taking a Connection.

They run inside a transaction opened by ``store.db.Database`` and use
SQLAlchemy Core on the SQLModel tables for speed on the intake hot path.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, RowMapping, Table, and_, bindparam, func, literal_column, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel

from store import figures, writebehind
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

def table_of(model: type[SQLModel]) -> Table:
    """The model's Core table, typed: SQLModel sets `__table__` when the class is created but does not declare it."""
    table = getattr(model, "__table__")
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


T_AREA = table_of(Area)
T_AGENCY = table_of(Agency)
T_CATEGORY = table_of(Category)
T_STAFF = table_of(Staff)
T_REPORTER = table_of(Reporter)
T_TICKET = table_of(Ticket)
T_MESSAGE = table_of(Message)
T_EVENT = table_of(TicketEvent)
T_ATTACHMENT = table_of(Attachment)
T_STATE = table_of(ChannelState)


_STATEMENTS: dict[tuple[Any, ...], Any] = {}


def _cached(key: tuple[Any, ...], build: Any) -> Any:
    """Build a statement once and reuse it: values are bound at execution.

    Building statements with literal values costs ~4x more per call than
    executing a prebuilt one, which matters on the intake hot path.
    """
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = build()
    return stmt


def _insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def insert_ignore(conn: Connection, table: Table, values: dict[str, Any], conflict: Sequence[str]) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id; None when the row existed."""
    stmt = _cached(("ins_ignore", table.name, tuple(conflict), conn.dialect.name),
                   lambda: _insert(conn, table).on_conflict_do_nothing(index_elements=list(conflict))
                   .returning(table.c.id))
    return conn.execute(stmt, values).scalar()


def upsert(conn: Connection, table: Table, values: dict[str, Any], key: Sequence[str], update_cols: Iterable[str]) -> None:
    stmt = _insert(conn, table).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=list(key), set_={c: stmt.excluded[c] for c in update_cols})
    conn.execute(stmt)


def insert(conn: Connection, table: Table, values: dict[str, Any]) -> int:
    """Insert a row and return its id; inside a group commit the row is queued with a reserved
    id and written with the transaction's next statement (store.writebehind)."""
    row_id = writebehind.next_id(conn, table)
    if row_id is not None:
        writebehind.insert_later(conn, table, dict(values, id=row_id))
        return row_id
    stmt = _cached(("insert", table.name), lambda: table.insert().returning(table.c.id))
    return conn.execute(stmt, values).scalar_one()


def update_by_id(conn: Connection, table: Table, row_id: int, values: dict[str, Any]) -> None:
    stmt = _cached(("update", table.name), lambda: update(table).where(table.c.id == bindparam("_id")))
    conn.execute(stmt, {"_id": row_id, **values})


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def loads(value: str | None) -> Any:
    return json.loads(value) if value else None


# --- reporters ---------------------------------------------------------------

def get_or_create_reporter(
    conn: Connection, channel: str, address: str, now: datetime, display_name: str | None, language: str | None
) -> RowMapping:
    """One statement: insert the reporter or return the existing row, noting that they wrote ``now``."""
    def build() -> Any:
        stmt = _insert(conn, T_REPORTER)
        # The update that makes RETURNING yield the existing row also records when they last wrote.
        return stmt.on_conflict_do_update(index_elements=["channel", "address"],
                                          set_={"last_inbound_at": stmt.excluded.last_inbound_at}
                                          ).returning(*T_REPORTER.c)

    stmt = _cached(("reporter_upsert", conn.dialect.name), build)
    return conn.execute(stmt, dict(channel=channel, address=address, display_name=display_name, language=language,
                                   opted_out=False, unreachable=False, created_at=now, updated_at=now,
                                   last_inbound_at=now)).mappings().one()


def get_or_create_reporters(
    conn: Connection, entries: list[dict[str, Any]], now: datetime
) -> dict[tuple[str, str], tuple[RowMapping, bool]]:
    """``get_or_create_reporter`` for many distinct (channel, address) at once: one batched upsert.

    ``entries`` hold channel, address, display_name and language; a key may appear once only
    (PostgreSQL refuses to upsert one row twice in a statement). Each row comes with whether
    this statement created it: on PostgreSQL a row it inserted has xmax 0; on SQLite (one
    writer, holding the lock) its id is above the largest id before the statement.
    """
    if not entries:
        return {}
    pg = conn.dialect.name == "postgresql"

    def build() -> Any:
        stmt = _insert(conn, T_REPORTER)
        created: Any = literal_column("(xmax = 0)") if pg else literal_column("1")
        # As get_or_create_reporter: the update that makes RETURNING yield an existing row also
        # records when they last wrote (the messaging window, bot/window.py).
        return stmt.on_conflict_do_update(index_elements=["channel", "address"],
                                          set_={"last_inbound_at": stmt.excluded.last_inbound_at}).returning(
            *T_REPORTER.c, created.label("created_here"))

    stmt = _cached(("reporters_upsert", conn.dialect.name), build)
    before = 0 if pg else conn.execute(select(func.coalesce(func.max(T_REPORTER.c.id), 0))).scalar_one()
    rows = [dict(e, opted_out=False, unreachable=False, created_at=now, updated_at=now, last_inbound_at=now)
            for e in entries]
    # executemany with RETURNING: SQLAlchemy sends it as multi-row statements ("insertmanyvalues").
    found = {}
    for r in conn.execute(stmt, rows).mappings():
        created = bool(r["created_here"]) if pg else r["id"] > before
        found[(r["channel"], r["address"])] = (r, created)
    return found


def insert_ignore_many(conn: Connection, table: Table, rows: list[dict[str, Any]],
                       conflict: Sequence[str]) -> dict[tuple[Any, ...], int]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING for many rows (multi-row statements): the id
    of each row inserted, by its ``conflict`` key. A key repeated within ``rows`` is inserted once."""
    if not rows:
        return {}
    stmt = _cached(("ins_ignore_many", table.name, tuple(conflict), conn.dialect.name),
                   lambda: _insert(conn, table).on_conflict_do_nothing(index_elements=list(conflict))
                   .returning(table.c.id, *[table.c[c] for c in conflict]))
    return {tuple(row[1:]): row[0] for row in conn.execute(stmt, rows)}


def update_reporter(conn: Connection, reporter_id: int, now: datetime, **values: Any) -> None:
    update_by_id(conn, T_REPORTER, reporter_id, dict(updated_at=now, **values))


def get_reporter(conn: Connection, reporter_id: int) -> RowMapping | None:
    stmt = _cached(("reporter_by_id",), lambda: select(T_REPORTER).where(T_REPORTER.c.id == bindparam("id")))
    return conn.execute(stmt, {"id": reporter_id}).mappings().first()


def reread_reporter(conn: Connection, reporter_id: int) -> RowMapping:
    """A reporter read again after an update in the same transaction: it exists."""
    row = get_reporter(conn, reporter_id)
    if row is None:
        raise LookupError(f"reporter {reporter_id} is gone")
    return row


# --- tickets -----------------------------------------------------------------

def ticket_by_tracking_id(conn: Connection, tracking_id: str) -> RowMapping | None:
    stmt = _cached(("ticket_by_tid",), lambda: select(T_TICKET).where(T_TICKET.c.tracking_id == bindparam("tid")))
    return conn.execute(stmt, {"tid": tracking_id}).mappings().first()


def taken_tracking_ids(conn: Connection, tracking_ids: Iterable[str]) -> set[str]:
    """Which of these tracking IDs a ticket holds (one probe of the unique index each, in one statement)."""
    stmt = _cached(("taken_tids",), lambda: select(T_TICKET.c.tracking_id)
                   .where(T_TICKET.c.tracking_id.in_(bindparam("tids", expanding=True))))
    return set(conn.execute(stmt, {"tids": sorted(tracking_ids)}).scalars())


def tickets_by_ids_or_tracking_ids(conn: Connection, ids: list[int], tracking_ids: list[str],
                                   chunk: int = 400) -> list[RowMapping]:
    """The tickets with any of these ids or tracking IDs, each once (a group commit's read-ahead,
    bot.intake_threads): one statement per ``chunk`` of each (bound parameters are limited on both databases);
    the primary key and the unique tracking ID index serve it."""
    by_id: dict[int, RowMapping] = {}
    for start in range(0, max(len(ids), len(tracking_ids)), chunk):
        some_ids, some_tids = ids[start:start + chunk], tracking_ids[start:start + chunk]
        for row in conn.execute(select(T_TICKET).where(or_(T_TICKET.c.id.in_(some_ids),
                                                           T_TICKET.c.tracking_id.in_(some_tids)))).mappings():
            by_id[row["id"]] = row
    return list(by_id.values())


def ticket_by_id(conn: Connection, ticket_id: int) -> RowMapping | None:
    stmt = _cached(("ticket_by_id",), lambda: select(T_TICKET).where(T_TICKET.c.id == bindparam("id")))
    return conn.execute(stmt, {"id": ticket_id}).mappings().first()


def latest_open_ticket(conn: Connection, reporter_id: int, statuses: Iterable[str], since: datetime) -> RowMapping | None:
    stmt = _cached(("latest_open",), lambda: select(T_TICKET)
                   .where(T_TICKET.c.reporter_id == bindparam("r"),
                          T_TICKET.c.status.in_(bindparam("st", expanding=True)),
                          T_TICKET.c.last_inbound_at >= bindparam("since", type_=T_TICKET.c.last_inbound_at.type))
                   .order_by(T_TICKET.c.last_inbound_at.desc()).limit(1))
    return conn.execute(stmt, {"r": reporter_id, "st": sorted(statuses), "since": since}).mappings().first()


def insert_ticket(conn: Connection, values: dict[str, Any]) -> int | None:
    """A new ticket (None when its tracking ID is taken), counted in the figures in the same transaction."""
    ticket_id = insert_ignore(conn, T_TICKET, values, ("tracking_id",))
    if ticket_id is not None:
        figures.ticket_changed(conn, None, dict(values, id=ticket_id))
    return ticket_id


def update_ticket(conn: Connection, ticket_id: int, **values: Any) -> None:
    """Every change to a ticket row goes through here, so the figures (store.figures) stay exact."""
    if not figures.touches_figures(values):
        update_by_id(conn, T_TICKET, ticket_id, values)
        return
    before = ticket_by_id(conn, ticket_id)
    update_by_id(conn, T_TICKET, ticket_id, values)
    if before is not None:
        figures.ticket_changed(conn, before, {**before, **values})


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
) -> None:
    """Add an audit event; inside a group commit it is written with the next statement (store.writebehind)."""
    writebehind.insert_later(
        conn,
        T_EVENT,
        dict(ticket_id=ticket_id, kind=kind, actor=actor, from_status=from_status, to_status=to_status,
             reason=reason, public=public, data=dumps(data), created_at=now),
    )


def insert_ticket_later(conn: Connection, values: dict[str, Any]) -> int | None:
    """Queue a new ticket with a reserved id inside a group commit; None outside one (the caller
    inserts it at once). A tracking ID that collides fails the group at its flush, and the group
    is redone message by message, where ``insert_ignore`` draws another."""
    ticket_id = writebehind.next_id(conn, T_TICKET)
    if ticket_id is not None:
        writebehind.insert_later(conn, T_TICKET, dict(values, id=ticket_id))
        figures.ticket_changed(conn, None, dict(values, id=ticket_id))  # dropped with the group if it fails
    return ticket_id


def insert_later(conn: Connection, table: Table, values: dict[str, Any]) -> None:
    """Insert a row whose id the caller does not need; batched inside a group commit (store.writebehind)."""
    writebehind.insert_later(conn, table, values)


def events_for(conn: Connection, ticket_id: int, public_only: bool = False) -> list[RowMapping]:
    q = select(T_EVENT).where(T_EVENT.c.ticket_id == ticket_id)
    if public_only:
        q = q.where(T_EVENT.c.public.is_(True))
    return list(conn.execute(q.order_by(T_EVENT.c.created_at, T_EVENT.c.id)).mappings())


# --- messages ----------------------------------------------------------------

def message_by_id(conn: Connection, message_id: int) -> RowMapping | None:
    return conn.execute(select(T_MESSAGE).where(T_MESSAGE.c.id == message_id)).mappings().first()


THREAD_REFS_USED = 50  # a mail's references beyond these are ignored (a crafted mail may list thousands)


def thread_refs_used(refs: Sequence[str]) -> list[str]:
    """The references a lookup considers: distinct, in order, at most ``THREAD_REFS_USED``."""
    return list(dict.fromkeys(refs))[:THREAD_REFS_USED]


def _thread_ref_match() -> tuple[Any, ...]:
    """Messages on channel ``ch`` with a ticket whose provider id is one of ``refs``."""
    return (T_MESSAGE.c.channel == bindparam("ch"), T_MESSAGE.c.direction.in_(("in", "out")),
            T_MESSAGE.c.external_id.in_(bindparam("refs", expanding=True)), T_MESSAGE.c.ticket_id.is_not(None))


def ticket_for_thread_refs(conn: Connection, channel: str, refs: Sequence[str]) -> int | None:
    """The ticket of any stored message on ``channel`` whose provider id is one of ``refs``.

    Channel and both directions are in the condition so the lookup is served by
    the unique index (channel, direction, external_id): at most 2 x 50 index
    probes, whatever the size of the message table (issue 16).
    """
    if not refs:
        return None
    stmt = _cached(("thread_refs",), lambda: select(T_MESSAGE.c.ticket_id).where(*_thread_ref_match())
                   .order_by(T_MESSAGE.c.id.desc())
                   .limit(1))
    return conn.execute(stmt, {"ch": channel, "refs": thread_refs_used(refs)}).scalar()


def thread_ref_messages(conn: Connection, channel: str, refs: Sequence[str],
                        chunk: int = 500) -> dict[str, tuple[int, int]]:
    """For each of ``refs`` that a stored message on ``channel`` (either direction) with a ticket
    has as provider id: (the newest such message's id, its ticket id). A group commit's refs in
    one statement per ``chunk`` (bound parameters are limited on both databases), served by
    the same unique index as ``ticket_for_thread_refs``."""
    stmt = _cached(("thread_ref_messages",), lambda: select(T_MESSAGE.c.external_id, T_MESSAGE.c.id,
                                                             T_MESSAGE.c.ticket_id).where(*_thread_ref_match()))
    distinct = list(dict.fromkeys(refs))
    found: dict[str, tuple[int, int]] = {}
    for start in range(0, len(distinct), chunk):
        for ref, message_id, ticket_id in conn.execute(stmt, {"ch": channel, "refs": distinct[start:start + chunk]}):
            if ref not in found or message_id > found[ref][0]:  # an id sent and received: the newer row
                found[ref] = (message_id, ticket_id)
    return found


def last_inbound_context(conn: Connection, ticket_id: int, reporter_id: int) -> dict[str, Any]:
    """Reply context of the reporter's latest inbound message on a ticket."""
    stmt = _cached(("last_ctx",), lambda: select(T_MESSAGE.c.reply_context)
                   .where(T_MESSAGE.c.ticket_id == bindparam("t"), T_MESSAGE.c.reporter_id == bindparam("r"),
                          T_MESSAGE.c.direction == "in")
                   .order_by(T_MESSAGE.c.id.desc()).limit(1))
    return loads(conn.execute(stmt, {"t": ticket_id, "r": reporter_id}).scalar()) or {}


def count_recent_outbound(conn: Connection, channel: str, recipient: str, since: datetime) -> int:
    stmt = _cached(("count_recent",), lambda: select(func.count()).select_from(T_MESSAGE)
                   .where(and_(T_MESSAGE.c.channel == bindparam("ch"), T_MESSAGE.c.recipient == bindparam("rc"),
                               T_MESSAGE.c.direction == "out", T_MESSAGE.c.created_at >= bindparam("since",
                               type_=T_MESSAGE.c.created_at.type))))
    return conn.execute(stmt, {"ch": channel, "rc": recipient, "since": since}).scalar_one()


# --- channel state -----------------------------------------------------------

def get_state(conn: Connection, key: str) -> str | None:
    return conn.execute(select(T_STATE.c.value).where(T_STATE.c.key == key)).scalar()


def set_state(conn: Connection, key: str, value: str, now: datetime) -> None:
    upsert(conn, T_STATE, dict(key=key, value=value, updated_at=now), ("key",), ("value", "updated_at"))
