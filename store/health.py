"""The database reads and the write probe behind the health checks (``bot.health``)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, text

from store import repo

PROBE_KEY = "health:write-probe"
M = repo.T_MESSAGE


def outbox_counts(conn: Connection) -> dict[str, Any]:
    out: dict[str, int] = dict(conn.execute(select(M.c.status, func.count()).where(M.c.direction == "out").group_by(M.c.status)).all())
    failed_in = conn.execute(select(func.count()).select_from(M).where(M.c.direction == "in", M.c.status == "failed")).scalar_one()
    return {"outbox": out, "inbound_failed": failed_in}


def oldest_queued(conn: Connection, channels: list[str]) -> dict[str, datetime]:
    """min(created_at) of queued/sending replies per channel.

    One MIN per (channel, status) with equality on every other column: each
    is a single index probe on ix_message_channel_age, whatever the backlog.
    """
    found: dict[str, datetime] = {}
    for channel in channels:
        for status in ("queued", "sending"):
            oldest = conn.execute(select(func.min(M.c.created_at)).where(
                M.c.direction == "out", M.c.status == status, M.c.channel == channel)).scalar()
            if oldest is not None and (channel not in found or oldest < found[channel]):
                found[channel] = oldest
    return found


def write_probe(conn: Connection, now: datetime) -> None:
    """A real small write (an upsert committed by the caller): a rolled-back savepoint proves nothing on SQLite."""
    repo.set_state(conn, PROBE_KEY, now.isoformat(), now)


def current_revision(conn: Connection) -> str | None:
    """The Alembic revision the database is at; None when it was never migrated."""
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - no alembic_version table: never migrated
        return None
