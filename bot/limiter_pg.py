"""The limiter's PostgreSQL backend: the statements and their pool are in store/budgets.py."""
from __future__ import annotations

from bot.limiter import window_wait
from store.budgets import PostgresBudgets


class PostgresBackend:
    name = "postgresql"

    def __init__(self, url: str) -> None:
        self.store = PostgresBudgets(url)

    async def pace(self, key: str, now: float, interval: float, tolerance: float) -> float:
        return await self.store.pace(key, now, interval, tolerance)

    async def retry_after(self, key: str, now: float, limit: int, window: float) -> float:
        return window_wait(await self.store.window_hits(key, now - window), now, limit, window)

    async def hit(self, key: str, now: float, window: float) -> None:
        await self.store.add_hit(key, now, window)

    async def close(self) -> None:
        await self.store.close()
