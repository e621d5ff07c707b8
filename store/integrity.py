"""Counts that prove no message made two tickets and no ticket got two replies of a kind
(``bench/ingest.py --processes 2`` prints them after feeding several gateways at once)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from store import repo

M, T = repo.T_MESSAGE, repo.T_TICKET


def duplicate_counts(conn: Connection) -> dict[str, Any]:
    """Tickets, inbound and outbound rows, provider messages stored twice, replies queued twice
    (the same kind to the same recipient about the same ticket)."""
    inbound = select(M.c.channel, M.c.external_id).where(M.c.direction == "in")
    twice_in = select(M.c.channel, M.c.external_id).where(M.c.direction == "in").group_by(
        M.c.channel, M.c.external_id).having(func.count() > 1).subquery()
    twice_out = select(M.c.ticket_id, M.c.recipient, M.c.kind).where(M.c.direction == "out").group_by(
        M.c.ticket_id, M.c.recipient, M.c.kind).having(func.count() > 1).subquery()
    return {
        "tickets": conn.execute(select(func.count()).select_from(T)).scalar_one(),
        "inbound": conn.execute(select(func.count()).select_from(inbound.subquery())).scalar_one(),
        "outbound": conn.execute(select(func.count()).select_from(M).where(M.c.direction == "out")).scalar_one(),
        "sent": conn.execute(select(func.count()).select_from(M).where(M.c.direction == "out",
                                                                       M.c.status == "sent")).scalar_one(),
        "inbound_twice": conn.execute(select(func.count()).select_from(twice_in)).scalar_one(),
        "reply_twice": conn.execute(select(func.count()).select_from(twice_out)).scalar_one(),
    }
