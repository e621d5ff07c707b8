"""Queries of the staff side: ticket threads, assignments, Slack event dedup, officers' views, canned replies.

Public functions over the staff tables (``staff_thread``, ``staff_assignment``,
``staff_dedup``); the staff modules call these instead of building SQL.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, or_, select, update

from bot.lifecycle import OPEN_STATUSES

from store import repo
from store.tables import CannedReply, StaffAssignment, StaffDedup, StaffThread

T_THREAD = repo.table_of(StaffThread)
T_ASSIGN = repo.table_of(StaffAssignment)
T_DEDUP = repo.table_of(StaffDedup)


# --- Slack event dedup -------------------------------------------------------

def claim(conn: Connection, key: str, now: datetime) -> bool:
    """True the first time ``key`` is seen (persisted: holds across restarts and processes)."""
    ins = (_dialect_insert(conn, T_DEDUP).values(key=key[:200], created_at=now)
           .on_conflict_do_nothing(index_elements=["key"]).returning(T_DEDUP.c.key))
    return conn.execute(ins).scalar() is not None


def prune_dedup(conn: Connection, cutoff: datetime) -> int:
    """Forget dedup keys older than ``cutoff``; returns how many."""
    return conn.execute(T_DEDUP.delete().where(T_DEDUP.c.created_at < cutoff)).rowcount


def _dialect_insert(conn: Connection, table: Any) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


# --- threads -----------------------------------------------------------------

def thread_row(conn: Connection, ticket_id: int) -> RowMapping | None:
    return conn.execute(select(T_THREAD).where(T_THREAD.c.ticket_id == ticket_id)).mappings().first()


def thread_language(conn: Connection, ticket_id: int) -> str | None:
    return conn.execute(select(T_THREAD.c.language).where(T_THREAD.c.ticket_id == ticket_id)).scalar()


def add_thread(conn: Connection, ticket_id: int, channel: str, supervisor_channel: str | None, language: str,
               now: datetime) -> None:
    conn.execute(T_THREAD.insert().values(ticket_id=ticket_id, channel=channel, thread_ts=None,
                                          supervisor_channel=supervisor_channel, language=language,
                                          created_at=now, updated_at=now))


def latest_root_post(conn: Connection, channel: str, ticket_id: int, kind: str) -> RowMapping | None:
    """Status and external id of the newest outbound ``kind`` message of a ticket on ``channel``."""
    M = repo.T_MESSAGE
    return conn.execute(
        select(M.c.status, M.c.external_id)
        .where(M.c.channel == channel, M.c.direction == "out", M.c.ticket_id == ticket_id, M.c.kind == kind)
        .order_by(M.c.id.desc()).limit(1)
    ).mappings().first()


def record_root(conn: Connection, ticket_id: int, channel: str, ts: str, now: datetime) -> None:
    """Remember the post that starts a ticket's thread (first one wins)."""
    res = conn.execute(update(T_THREAD).where(T_THREAD.c.ticket_id == ticket_id, T_THREAD.c.thread_ts.is_(None))
                       .values(channel=channel, thread_ts=ts, updated_at=now))
    if res.rowcount == 0 and thread_row(conn, ticket_id) is None:
        conn.execute(T_THREAD.insert().values(ticket_id=ticket_id, channel=channel, thread_ts=ts,
                                              language="id", created_at=now, updated_at=now))


def ticket_for_thread(conn: Connection, channel: str, thread_ts: str, post_channel: str) -> int | None:
    """The ticket a thread belongs to: its root, or any post of ours (on ``post_channel``) it replies to."""
    found = conn.execute(select(T_THREAD.c.ticket_id)
                         .where(T_THREAD.c.channel == channel, T_THREAD.c.thread_ts == thread_ts)).scalar()
    if found is not None:
        return found
    M = repo.T_MESSAGE
    return conn.execute(select(M.c.ticket_id).where(
        M.c.channel == post_channel, M.c.direction == "out", M.c.external_id == f"{channel}:{thread_ts}",
        M.c.ticket_id.is_not(None)).limit(1)).scalar()


# --- labels --------------------------------------------------------------------

def staff_name(conn: Connection, code: str) -> str | None:
    return conn.execute(select(repo.T_STAFF.c.name).where(repo.T_STAFF.c.code == code)).scalar()


def area_names(conn: Connection, codes: list[str]) -> dict[str, str]:
    return dict(conn.execute(select(repo.T_AREA.c.code, repo.T_AREA.c.name)
                             .where(repo.T_AREA.c.code.in_(codes))).all())


# --- assignment ----------------------------------------------------------------

def assignee(conn: Connection, ticket_id: int) -> str | None:
    return conn.execute(select(T_ASSIGN.c.staff_code).where(T_ASSIGN.c.ticket_id == ticket_id)).scalar()


def assign(conn: Connection, ticket_id: int, staff_code: str, now: datetime) -> str | None:
    """Assign a ticket to ``staff_code``; returns the previous assignee."""
    previous = assignee(conn, ticket_id)
    if previous is None:
        conn.execute(T_ASSIGN.insert().values(ticket_id=ticket_id, staff_code=staff_code, assigned_at=now))
    else:
        conn.execute(update(T_ASSIGN).where(T_ASSIGN.c.ticket_id == ticket_id)
                     .values(staff_code=staff_code, assigned_at=now))
    return previous


def last_actor_into(conn: Connection, ticket_id: int, status: str) -> str | None:
    """Who last moved the ticket into ``status`` (e.g. who submitted the proof)."""
    E = repo.T_EVENT
    return conn.execute(select(E.c.actor).where(E.c.ticket_id == ticket_id, E.c.to_status == status)
                        .order_by(E.c.id.desc()).limit(1)).scalar()


# --- officers' lists -------------------------------------------------------------

@dataclass
class TicketQuery:
    """The filters of an officer's list (``daftar``); None/empty means "any"."""

    status: str | None = None  # else: every open status
    overdue: bool = False
    areas: set[str] = field(default_factory=set)
    category: str | None = None
    agencies: set[str] = field(default_factory=set)  # the agency or sub-unit is one of these
    assignee: str | None = None


def list_tickets(conn: Connection, scope: Any, query: TicketQuery, now: datetime, limit: int) -> list[RowMapping]:
    """Tickets matching ``query`` within ``scope`` (a SQL condition, None = everything), soonest deadline first."""
    T = repo.T_TICKET
    q = select(T.c.tracking_id, T.c.status, T.c.category_code, T.c.area_code, T.c.resolve_due,
               T.c.coordinate_due, T.c.coordinated_at)
    if scope is not None:
        q = q.where(scope)
    open_values = sorted(s.value for s in OPEN_STATUSES)
    q = q.where(T.c.status == query.status) if query.status else q.where(T.c.status.in_(open_values))
    if query.overdue:
        q = q.where(T.c.status.in_(open_values), or_(
            T.c.resolve_due < now, and_(T.c.coordinated_at.is_(None), T.c.coordinate_due < now)))
    if query.areas:
        q = q.where(T.c.area_code.in_(sorted(query.areas)))
    if query.category:
        q = q.where(T.c.category_code == query.category)
    if query.agencies:
        family = sorted(query.agencies)
        q = q.where(or_(T.c.agency_code.in_(family), T.c.unit.in_(family)))
    if query.assignee:
        q = q.where(T.c.id.in_(select(T_ASSIGN.c.ticket_id).where(T_ASSIGN.c.staff_code == query.assignee)))
    return list(conn.execute(q.order_by(T.c.resolve_due, T.c.id).limit(limit)).mappings())


# --- canned replies (balasan siap pakai) ------------------------------------------------

T_CANNED = repo.table_of(CannedReply)


def list_canned(conn: Connection, category_code: str | None, language: str) -> list[RowMapping]:
    """The replies an officer may insert into ``balas``: for this category or any category, in ``language``;
    the category's own first, then by title."""
    C = T_CANNED
    q = select(C).where(C.c.language == language)
    q = q.where(or_(C.c.category_code == category_code, C.c.category_code.is_(None))) if category_code \
        else q.where(C.c.category_code.is_(None))
    return list(conn.execute(q.order_by(C.c.category_code.is_(None), C.c.title, C.c.id)).mappings())


def all_canned(conn: Connection) -> list[RowMapping]:
    C = T_CANNED
    # "any category" first on both databases (SQLite and PostgreSQL sort NULL differently)
    return list(conn.execute(select(C).order_by(C.c.category_code.is_not(None), C.c.category_code, C.c.language,
                                                C.c.title, C.c.id)).mappings())


def canned_by_id(conn: Connection, canned_id: int) -> RowMapping | None:
    return conn.execute(select(T_CANNED).where(T_CANNED.c.id == canned_id)).mappings().first()


def add_canned(conn: Connection, values: dict[str, Any], actor: str, now: datetime) -> int:
    """A new reply (``category_code`` None: any category); returns its id."""
    return int(conn.execute(T_CANNED.insert().values(**values, updated_by=actor, created_at=now, updated_at=now)
                            .returning(T_CANNED.c.id)).scalar_one())


def update_canned(conn: Connection, canned_id: int, values: dict[str, Any], actor: str, now: datetime) -> bool:
    return bool(conn.execute(update(T_CANNED).where(T_CANNED.c.id == canned_id)
                             .values(**values, updated_by=actor, updated_at=now)).rowcount)


def delete_canned(conn: Connection, canned_id: int) -> bool:
    return bool(conn.execute(T_CANNED.delete().where(T_CANNED.c.id == canned_id)).rowcount)
