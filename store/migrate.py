"""Apply Alembic migrations programmatically (``python main.py db upgrade``), then gather statistics."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Callable, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, create_engine, pool
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from store import stats

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["url"] = url
    return cfg


def _run(url: str, fn: Callable[[Connection], T]) -> T:
    """``fn(conn)`` in one committed transaction on a throw-away engine (asyncpg through its own loop)."""
    if "+asyncpg" in url:
        async def run() -> T:
            engine = create_async_engine(url, poolclass=pool.NullPool)
            try:
                async with engine.begin() as conn:
                    return await conn.run_sync(fn)
            finally:
                await engine.dispose()

        return asyncio.run(run())
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            return fn(conn)
    finally:
        engine.dispose()


def _state(conn: Connection) -> tuple[str | None, bool]:
    return MigrationContext.configure(conn).get_current_revision(), stats.has_statistics(conn)


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate to ``revision``; ANALYZE when a migration ran or the database never had statistics."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    before, _ = _run(url, _state)
    command.upgrade(alembic_config(url), revision)
    after, analysed = _run(url, _state)
    if after != before or not analysed:
        _run(url, stats.analyze)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
