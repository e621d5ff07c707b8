"""The limiter's PostgreSQL backend: the statements are in store/budgets.py."""
from __future__ import annotations

from bot.limiter import window_wait
from store import budgets
from store.db import Database


class PostgresBackend:
    name = "postgresql"

    def __init__(self, db: Database) -> None:
        self.db = db

    async def pace(self, key: str, now: float, interval: float, tolerance: float) -> float:
        return await self.db.write(budgets.pace, key, now, interval, tolerance)

    async def retry_after(self, key: str, now: float, limit: int, window: float) -> float:
        return window_wait(await self.db.read(budgets.window_hits, key, now - window), now, limit, window)

    async def hit(self, key: str, now: float, window: float) -> None:
        await self.db.write(budgets.add_hit, key, now, window)

    async def close(self) -> None:
        return None
