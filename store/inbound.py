"""Message rows the intake side reads and changes: delivery receipts, failed inbound messages kept
for retry, webhook bodies no adapter could parse, and the operator's view of them; batch status
updates, redeliveries and edits, a location shared just before a report, and the email thread
look-ups (subjects, authentication results)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import Connection, RowMapping, bindparam, or_, select, text, tuple_, update

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


# PostgreSQL: a group's rows as arrays, joined in one UPDATE. An executemany is one round trip too, but the
# server runs one UPDATE per row (a group of 256 took 16 ms that way).
_MARK_PROCESSED_PG = text(
    "UPDATE message AS m SET status = v.status, reporter_id = v.reporter_id, ticket_id = v.ticket_id, kind = v.kind "
    "FROM unnest(CAST(:ids AS integer[]), CAST(:statuses AS varchar[]), CAST(:reporters AS integer[]), "
    "CAST(:tickets AS integer[]), CAST(:kinds AS varchar[])) AS v(id, status, reporter_id, ticket_id, kind) "
    "WHERE m.id = v.id")


def mark_processed(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """One UPDATE for a group; each row has ``_id``, ``status``, ``reporter_id``, ``ticket_id`` and ``kind``."""
    if conn.dialect.name == "postgresql":
        conn.execute(_MARK_PROCESSED_PG, {"ids": [r["_id"] for r in rows], "statuses": [r["status"] for r in rows],
                                          "reporters": [r["reporter_id"] for r in rows],
                                          "tickets": [r["ticket_id"] for r in rows], "kinds": [r["kind"] for r in rows]})
        return
    M = repo.T_MESSAGE
    stmt = repo._cached(("mark_processed",), lambda: update(M).where(M.c.id == bindparam("_id")))
    conn.execute(stmt, rows)


def by_external_id(conn: Connection, channel: str, external_id: str) -> RowMapping:
    """id, ticket_id and text of an inbound message already stored (it must exist)."""
    M = repo.T_MESSAGE
    return conn.execute(select(M.c.id, M.c.ticket_id, M.c.text)
                        .where(M.c.channel == channel, M.c.direction == "in", M.c.external_id == external_id)
                        ).mappings().one()


def by_external_ids(conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], RowMapping]:
    """``by_external_id`` for many (channel, external id) at once, with each row's ticket's tracking ID: the
    stored messages a group commit's redeliveries repeat, in one statement instead of two per redelivery."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    T = repo.T_TICKET
    rows = conn.execute(select(M.c.id, M.c.ticket_id, M.c.text, M.c.channel, M.c.external_id, T.c.tracking_id)
                        .outerjoin(T, T.c.id == M.c.ticket_id)
                        .where(M.c.direction == "in", tuple_(M.c.channel, M.c.external_id).in_(keys))).mappings()
    return {(r["channel"], r["external_id"]): r for r in rows}


def set_text(conn: Connection, message_id: int, text: str, now: datetime) -> None:
    M = repo.T_MESSAGE
    conn.execute(update(M).where(M.c.id == message_id).values(text=text, updated_at=now))


def recent_location_payload(conn: Connection, reporter_id: int, since: datetime) -> str | None:
    """The payload of the reporter's latest location message not attached to a ticket, since ``since``."""
    M = repo.T_MESSAGE
    stmt = repo._cached(("recent_location",), lambda: select(M.c.payload).where(
        M.c.reporter_id == bindparam("r"), M.c.direction == "in", M.c.kind == "location", M.c.ticket_id.is_(None),
        M.c.created_at >= bindparam("since", type_=M.c.created_at.type)).order_by(M.c.id.desc()).limit(1))
    return conn.execute(stmt, {"r": reporter_id, "since": since}).scalar()


def recent_tickets_on(conn: Connection, reporter_id: int, statuses: Iterable[str], channel: str, since: datetime,
                      limit: int = 20) -> list[RowMapping]:
    """The reporter's tickets in ``statuses`` on ``channel`` written to since ``since``, latest first."""
    T = repo.T_TICKET
    # Prebuilt (every new mail asks): building the statement cost more than running it (issue 16).
    stmt = repo._cached(("recent_tickets_on", limit), lambda: select(T).where(
        T.c.reporter_id == bindparam("r"), T.c.status.in_(bindparam("st", expanding=True)),
        T.c.channel == bindparam("ch"), T.c.last_inbound_at >= bindparam("since", type_=T.c.last_inbound_at.type))
        .order_by(T.c.last_inbound_at.desc(), T.c.id.desc()).limit(limit))
    return list(conn.execute(stmt, {"r": reporter_id, "st": sorted(statuses), "ch": channel, "since": since})
                .mappings().all())


def reply_contexts(conn: Connection, ticket_id: int, channel: str, also_ids: list[int], limit: int = 100) -> list[Any]:
    """Raw reply contexts of a ticket's inbound messages on ``channel`` (plus ``also_ids``), oldest first."""
    M = repo.T_MESSAGE
    where = or_(M.c.ticket_id == ticket_id, M.c.id.in_(also_ids)) if also_ids else M.c.ticket_id == ticket_id
    return list(conn.execute(select(M.c.reply_context).where(where, M.c.direction == "in", M.c.channel == channel)
                             .order_by(M.c.id).limit(limit)).scalars())


def first_reply_context(conn: Connection, ticket_id: int) -> Any:
    """The raw reply context of the first inbound message of a ticket."""
    M = repo.T_MESSAGE
    return conn.execute(select(M.c.reply_context).where(M.c.ticket_id == ticket_id, M.c.direction == "in")
                        .order_by(M.c.id).limit(1)).scalar()
