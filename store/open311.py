"""Reads behind the Open311 GeoReport v2 API: ticket rows and what their records need, batched (no N+1)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, select

from bot.lifecycle import Status
from store import repo
from store.plainrows import plain_rows

T, E, AT = repo.T_TICKET, repo.T_EVENT, repo.T_ATTACHMENT
_COLUMNS = [T.c.id, T.c.tracking_id, T.c.status, T.c.category_code, T.c.agency_code, T.c.area_code,
            T.c.description, T.c.created_at, T.c.updated_at, T.c.closed_at, T.c.resolve_due, T.c.latitude,
            T.c.longitude, T.c.reporter_id]


def request_rows(conn: Connection, *, ids: list[str] | None, codes: list[str], open_only: bool | None,
                 closed: list[str], start: datetime, end: datetime, page: int, page_size: int) -> list[dict[str, Any]]:
    """Tickets by tracking ids, or created in [start, end] filtered by category and open/closed; newest first.

    ``open_only``: True for open tickets only, False for closed (``closed`` statuses) only, None for both.
    """
    q = select(*_COLUMNS)
    if ids is not None:
        q = q.where(T.c.tracking_id.in_(ids))
    else:
        q = q.where(T.c.created_at >= start, T.c.created_at <= end)
        if codes:
            q = q.where(T.c.category_code.in_(codes))
        if open_only is True:
            # Spelled as the open statuses, not NOT IN the closed ones: then an index on the status (with
            # the category: ix_ticket_category_status_created) serves it, instead of every ticket of the
            # period read through ix_ticket_created_at and filtered.
            q = q.where(T.c.status.in_([s.value for s in Status if s.value not in closed]))
        elif open_only is False:
            q = q.where(T.c.status.in_(closed))
    q = q.order_by(T.c.created_at.desc(), T.c.id.desc()).limit(page_size).offset((page - 1) * page_size)
    return plain_rows(conn, q)


def request_row(conn: Connection, tracking_id: str) -> list[dict[str, Any]]:
    return plain_rows(conn, select(*_COLUMNS).where(T.c.tracking_id == tracking_id))


def latest_public_reasons(conn: Connection, ids: list[int]) -> dict[int, str | None]:
    """The reason (None if it has none) of each ticket's latest public event; tickets without one are absent."""
    latest: dict[int, str | None] = {}
    for ev in plain_rows(conn, select(E.c.ticket_id, E.c.reason)
                         .where(E.c.ticket_id.in_(bindparam("ids", expanding=True)), E.c.public.is_(True))
                         .order_by(E.c.ticket_id, E.c.created_at, E.c.id), {"ids": ids}):
        latest[ev["ticket_id"]] = ev["reason"]
    return latest


def latest_proofs(conn: Connection, ids: list[int]) -> dict[int, str]:
    """Each ticket's latest proof photo sha256."""
    proofs: dict[int, str] = {}
    for row in plain_rows(conn, select(AT.c.ticket_id, AT.c.sha256)
                          .where(AT.c.ticket_id.in_(bindparam("ids", expanding=True)), AT.c.kind == "proof")
                          .order_by(AT.c.id), {"ids": ids}):
        proofs[row["ticket_id"]] = row["sha256"]
    return proofs


def reference_maps(conn: Connection) -> tuple[dict[str, RowMapping], dict[str, str], dict[str, RowMapping]]:
    """Categories by code, agency names by code, areas (code, name, level, parent, postal code) by code."""
    A = repo.T_AREA
    cats = {r["code"]: r for r in conn.execute(select(repo.T_CATEGORY)).mappings()}
    agencies = dict(conn.execute(select(repo.T_AGENCY.c.code, repo.T_AGENCY.c.name)).all())
    areas = {r["code"]: r for r in conn.execute(select(A.c.code, A.c.name, A.c.level, A.c.parent_code,
                                                       A.c.postal_code)).mappings()}
    return cats, agencies, areas
