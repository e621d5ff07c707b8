"""bench/read_build.py on the test database (SQLite, or PostgreSQL through COPY): what it loads, in date order.

No timing assertions: the rows the builder writes, read back through the project's own tables.
"""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select

from bench import read_build
from bot.config import load_config
from store import repo
from store.db import Database
from tests.conftest import ROOT

N = 300


def test_builder_loads_every_table_with_ids_in_date_order(database_url: str) -> None:
    now = datetime(2026, 6, 1, 10, tzinfo=UTC)
    cfg = load_config(str(ROOT / "config.yaml"))
    read_build.build(database_url, cfg, N, now, lambda _line: None)

    def read(conn):  # type: ignore[no-untyped-def]
        T = repo.T_TICKET
        created = list(conn.execute(select(T.c.created_at).order_by(T.c.id)).scalars())
        counts = {name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                  for name, table in read_build._tables().items()}
        first = conn.execute(select(T).where(T.c.id == 1)).mappings().one()
        events = conn.execute(select(func.count()).select_from(repo.T_EVENT)
                              .where(repo.T_EVENT.c.ticket_id == 1)).scalar_one()
        return created, counts, first, events

    async def run():  # type: ignore[no-untyped-def]
        db = Database(database_url)
        try:
            return await db.read(read)
        finally:
            await db.close()

    created, counts, first, events = asyncio.run(run())
    assert counts["ticket"] == N and counts["message"] == 2 * N and counts["reporter"] == int(N * 0.4)
    assert 3 * N < counts["ticket_event"] < 4.5 * N and 0.7 * N < counts["attachment"] < 1.1 * N
    # Ticket ids follow created_at, as in a real instance; timestamps come back as the same aware UTC values.
    assert created == sorted(created) and all(c.tzinfo is not None and c <= now for c in created)
    assert (now - created[0]).days > 300
    assert first["tracking_id"] == read_build.tracking_id(cfg.instance.tracking_prefix, 1)
    assert first["created_at"] == created[0] and events >= 1
