"""SQL of the limiter's PostgreSQL backend (bot/limiter.py): one statement, one round trip, per step.

A reservation is one autocommitted ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``:
the row lock orders concurrent processes, so the budget holds across them. It runs on
a small asyncpg pool of its own rather than through ``Database``: a send then costs one
round trip, not BEGIN, the statement and COMMIT through SQLAlchemy's greenlet bridge
(~3x the latency). Used when the database is PostgreSQL and no Redis is configured
(SQLite deployments are one process and keep their limits in memory).
"""
from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.engine import make_url

from store.repo import table_of
from store.tables import RateBudget, RateHit

T_BUDGET = table_of(RateBudget)  # the tables, for migrations and the test suite's TRUNCATE
T_HIT = table_of(RateHit)

PACE = """
INSERT INTO rate_budget AS b (key, tat) VALUES ($1, $2::float8 + $3::float8)
ON CONFLICT (key) DO UPDATE SET tat = GREATEST(b.tat, $2::float8) + $3::float8
RETURNING tat
"""
WINDOW_HITS = "SELECT at FROM rate_hit WHERE key = $1 AND at > $2::float8 ORDER BY at"
# Expired hits (ix_rate_hit_expires) go as a new one comes: the table holds only live windows.
ADD_HIT = """
WITH gone AS (DELETE FROM rate_hit WHERE expires <= $2::float8)
INSERT INTO rate_hit (key, at, expires) VALUES ($1, $2::float8, $2::float8 + $3::float8)
"""


# A reservation is throw-away pacing state: not waiting for its WAL flush (~3.5 ms here, a send's main cost
# to the Maildir) risks only the last fraction of a second of reservations in a server crash (a few sends
# early once), never a wrong or torn row. The setting is per session, on this pool's connections only.
NO_WAIT_FOR_FLUSH = {"synchronous_commit": "off"}


def asyncpg_dsn(url: str) -> str:
    """``postgresql+asyncpg://…`` as asyncpg takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresBudgets:
    """The limiter steps on their own asyncpg pool (opened at first use)."""

    name = "postgresql"

    def __init__(self, url: str, max_connections: int = 4) -> None:
        self.dsn = asyncpg_dsn(url)
        self.max_connections = max_connections
        self._pool: Any = None
        self._opening: asyncio.Lock | None = None

    async def _get_pool(self) -> Any:
        if self._pool is None:
            import asyncpg  # type: ignore[import-untyped]

            self._opening = self._opening or asyncio.Lock()
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=self.max_connections,
                                                           timeout=5, command_timeout=5,
                                                           server_settings=NO_WAIT_FOR_FLUSH)
        return self._pool

    async def pace(self, key: str, now: float, interval: float, tolerance: float) -> float:
        tat = await (await self._get_pool()).fetchval(PACE, key, now, interval)
        return float(tat) - now - tolerance

    async def window_hits(self, key: str, since: float) -> list[float]:
        return [float(r["at"]) for r in await (await self._get_pool()).fetch(WINDOW_HITS, key, since)]

    async def add_hit(self, key: str, now: float, window: float) -> None:
        await (await self._get_pool()).execute(ADD_HIT, key, now, window)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
