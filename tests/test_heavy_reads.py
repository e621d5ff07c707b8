"""Issue 16: slow reads never starve fast ones.

Heavy reads (dashboards, CSV, performance, report: ``Database.read_heavy``) are held on an Event; a
ticket lookup (``Database.read``) still completes, and no more heavy reads run than ``heavy_readers``.
On SQLite and, with ADUAN_TEST_DATABASE_URL, PostgreSQL."""
from __future__ import annotations

import asyncio
import threading

from sqlalchemy import Connection, text

from store.db import Database
from tests.harness.waiting import eventually


class Gate:
    """Holds heavy reads until opened: a threading.Event on SQLite (they run in threads); on PostgreSQL,
    where they run on the event loop, an advisory lock the test holds on a connection of its own."""

    def __init__(self, url: str) -> None:
        self.url, self.pg, self.event = url, not url.startswith("sqlite"), threading.Event()
        self.holder = None

    async def close_gate(self) -> None:
        if self.pg:
            import asyncpg

            self.holder = await asyncpg.connect(self.url.replace("postgresql+asyncpg://", "postgresql://"))
            await self.holder.execute("SELECT pg_advisory_lock(16)")

    def wait(self, conn: Connection) -> None:
        if self.pg:
            conn.execute(text("SELECT pg_advisory_xact_lock_shared(16)"))
        else:
            assert self.event.wait(60), "never released"

    async def open(self) -> None:
        self.event.set()
        if self.holder is not None:
            await self.holder.close()
            self.holder = None


async def test_blocked_heavy_reads_leave_ticket_lookups_a_reader(database_url):
    db = Database(database_url, heavy_readers=1)
    gate = Gate(database_url)
    await gate.close_gate()
    started: list[int] = []

    def heavy(conn: Connection, n: int) -> int:
        started.append(n)
        gate.wait(conn)
        return conn.execute(text("SELECT 1")).scalar_one() + n

    try:
        heavies = [asyncio.ensure_future(db.read_heavy(heavy, n)) for n in range(4)]
        await eventually(lambda: len(started) == 1, "the first heavy read started")
        # Every other heavy read waits for the one running; the light reads do not.
        lights = await asyncio.gather(*[db.read(lambda c: c.execute(text("SELECT 41 + 1")).scalar_one())
                                        for _ in range(5)])
        assert lights == [42] * 5
        assert started == [0] and not any(h.done() for h in heavies)
        await gate.open()
        assert await asyncio.gather(*heavies) == [1, 2, 3, 4]
        assert sorted(started) == [0, 1, 2, 3]
    finally:
        await gate.open()
        await db.close()
