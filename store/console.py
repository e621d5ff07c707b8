"""Queries of the officers' web console (bot/web/console): the inbox, one ticket in full, what changed.

The inbox reads open tickets in deadline order from ``ix_ticket_open_due`` (or, within a kelurahan,
agency or sub-unit, ``ix_ticket_open_<key>_due``; migration 0012) and
stops at one page (keyset: after ``(resolve_due, id)``), so the first page costs the same at
1,000 or 1,000,000 tickets; other filters narrow what the index walk keeps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, or_, select, text

from bot.lifecycle import OPEN_STATUSES

from store import repo
from store.staff import T_ASSIGN
from store.tables import OPEN_CONDITION

INBOX_COLUMNS = ("id", "tracking_id", "status", "category_code", "agency_code", "unit", "area_code", "channel",
                 "source", "reporter_id", "description", "created_at", "resolve_due", "coordinate_due",
                 "coordinated_at")


@dataclass
class InboxFilter:
    """An officer's inbox filters; None/empty means "any" (open statuses unless ``status`` is given)."""

    status: str | None = None
    due: str | None = None  # "overdue" | "soon"
    soon_before: datetime | None = None  # "soon": due before this
    category: str | None = None
    areas: set[str] = field(default_factory=set)
    agencies: set[str] = field(default_factory=set)
    assignee: str | None = None  # "mine"
    source: str | None = None  # the channel or walk-in origin it came in by
    created_from: datetime | None = None
    created_until: datetime | None = None
    tracking_ids: list[str] = field(default_factory=list)  # a search by ID (with its typo corrections)
    words: list[str] = field(default_factory=list)  # every word must be in the text


def inbox(conn: Connection, scope: Any | None, f: InboxFilter, now: datetime, limit: int,
          after: tuple[datetime, int] | None = None) -> list[dict[str, Any]]:
    """One page of tickets within ``scope`` (a condition from ``bot.staff.scope``; None: all), soonest deadline first."""
    T = repo.T_TICKET
    q = select(*(T.c[c] for c in INBOX_COLUMNS))
    if scope is not None:
        q = q.where(scope)
    open_values = sorted(s.value for s in OPEN_STATUSES)
    if f.tracking_ids:  # an ID search finds the ticket whatever its status
        q = q.where(T.c.tracking_id.in_(f.tracking_ids))
    elif f.status:
        q = q.where(T.c.status == f.status)
    else:
        # Spelled exactly as the partial indexes' condition (no bound parameters), so both databases use them.
        q = q.where(text(OPEN_CONDITION))
    if f.due == "overdue":
        q = q.where(T.c.status.in_(open_values), or_(
            T.c.resolve_due < now, and_(T.c.coordinated_at.is_(None), T.c.coordinate_due < now)))
    elif f.due == "soon" and f.soon_before is not None:
        q = q.where(T.c.status.in_(open_values), T.c.resolve_due >= now, T.c.resolve_due < f.soon_before)
    if f.category:
        q = q.where(T.c.category_code == f.category)
    if f.areas:
        q = q.where(T.c.area_code.in_(sorted(f.areas)))
    if f.agencies:
        family = sorted(f.agencies)
        q = q.where(or_(T.c.agency_code.in_(family), T.c.unit.in_(family)))
    if f.assignee:
        q = q.where(T.c.id.in_(select(T_ASSIGN.c.ticket_id).where(T_ASSIGN.c.staff_code == f.assignee)))
    if f.source:
        q = q.where(T.c.source == f.source)
    if f.created_from is not None:
        q = q.where(T.c.created_at >= f.created_from)
    if f.created_until is not None:
        q = q.where(T.c.created_at < f.created_until)
    for word in f.words:
        q = q.where(func.lower(T.c.description).contains(word.lower(), autoescape=True))
    if after is not None:
        due, tid = after
        q = q.where(or_(T.c.resolve_due > due, and_(T.c.resolve_due == due, T.c.id > tid)))
    rows = conn.execute(q.order_by(T.c.resolve_due, T.c.id).limit(limit)).mappings().all()
    return [dict(r) for r in rows]


def assignees(conn: Connection, ticket_ids: list[int]) -> dict[int, str]:
    if not ticket_ids:
        return {}
    return dict(conn.execute(select(T_ASSIGN.c.ticket_id, T_ASSIGN.c.staff_code)
                             .where(T_ASSIGN.c.ticket_id.in_(ticket_ids))).all())


# --- one ticket --------------------------------------------------------------------

def attachments(conn: Connection, ticket_id: int) -> list[RowMapping]:
    A = repo.T_ATTACHMENT
    return list(conn.execute(select(A.c.id, A.c.sha256, A.c.content_type, A.c.kind, A.c.created_at)
                             .where(A.c.ticket_id == ticket_id).order_by(A.c.id)).mappings())


def attachment(conn: Connection, ticket_id: int, attachment_id: int) -> RowMapping | None:
    A = repo.T_ATTACHMENT
    return conn.execute(select(A.c.sha256, A.c.content_type)
                        .where(A.c.id == attachment_id, A.c.ticket_id == ticket_id)).mappings().first()


# --- what changed --------------------------------------------------------------------

def latest_event_id(conn: Connection) -> int:
    """The newest audit event's id: a ticket created or changed anywhere moves it (a primary-key probe)."""
    return conn.execute(select(func.max(repo.T_EVENT.c.id))).scalar() or 0


def changed_since(conn: Connection, scope: Any | None, since: int, limit: int) -> list[str]:
    """Tracking IDs in ``scope`` with an event after ``since`` (newest first, at most ``limit``)."""
    E, T = repo.T_EVENT, repo.T_TICKET
    q = (select(T.c.tracking_id, func.max(E.c.id).label("last")).select_from(E.join(T, T.c.id == E.c.ticket_id))
         .where(E.c.id > since).group_by(T.c.tracking_id))
    if scope is not None:
        q = q.where(scope)
    return [r[0] for r in conn.execute(q.order_by(func.max(E.c.id).desc()).limit(limit)).all()]
