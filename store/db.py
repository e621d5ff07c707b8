"""Database access: plain synchronous SQLAlchemy Core code, run off the loop.

Every repository and pipeline function takes a SQLAlchemy ``Connection`` and
runs inside one transaction. ``Database`` decides how to run it:

* SQLite: a sync engine in a dedicated writer thread (SQLite has one writer
  anyway) and a small pool of reader threads (WAL lets readers run beside
  the writer). One thread hop per transaction instead of one per statement
  keeps intake fast.
* PostgreSQL (``postgresql+asyncpg://``): the async engine runs the same sync
  function through ``AsyncConnection.run_sync`` (SQLAlchemy's greenlet bridge).

Heavy reads (dashboards, CSV, performance, report: ``read_heavy``) get a pool of their own on SQLite
and at most ``heavy_readers`` connections at once on PostgreSQL, so a burst of them never keeps a
ticket lookup (``read``) waiting for a reader.

Every connection carries the instance time zone in ``conn.info`` (``store.figures.TZ_INFO_KEY``):
the figures' days, months and weeks are local.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, TypeVar

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from store import writebehind
from store.figures import DEFAULT_TZ, TZ_INFO_KEY

log = logging.getLogger(__name__)
T = TypeVar("T")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sync_url(url: str) -> str:
    """The URL Alembic and tools use: asyncpg becomes psycopg-free 'postgresql+asyncpg' via run_sync."""
    return url


def _sqlite_engine(url: str, *, immediate: bool, tz: str):
    u = make_url(url)
    if u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=4)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own
        # transaction handling defers BEGIN and breaks SAVEPOINTs).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before we acknowledge the provider.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()
        _record.info[TZ_INFO_KEY] = tz

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: no lock-upgrade deadlocks
        # between two processes sharing one file.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """Runs transactional functions against SQLite or PostgreSQL."""

    def __init__(self, url: str, *, timezone: str = DEFAULT_TZ, heavy_readers: int = 1, pool_size: int = 10,
                 max_overflow: int = 10) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        self._heavy_limit = asyncio.Semaphore(heavy_readers)
        self._own_loop: asyncio.AbstractEventLoop | None = None  # read_blocking's, on PostgreSQL
        if self.sqlite:
            self._write_engine = _sqlite_engine(url, immediate=True, tz=timezone)
            writebehind.install(self._write_engine)
            self._read_engine = _sqlite_engine(url, immediate=False, tz=timezone)
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="db-writer")
            self._readers = ThreadPoolExecutor(2, thread_name_prefix="db-reader")
            self._heavy = ThreadPoolExecutor(heavy_readers, thread_name_prefix="db-heavy")
        else:
            self._async_engine = create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                                                    pool_pre_ping=True)
            writebehind.install(self._async_engine.sync_engine)

            @event.listens_for(self._async_engine.sync_engine, "connect")
            def _tz(_dbapi_conn: Any, record: Any) -> None:
                record.info[TZ_INFO_KEY] = timezone

    @property
    def dialect(self) -> str:
        return "sqlite" if self.sqlite else "postgresql"

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` in one write transaction; committed on return."""
        if self.sqlite:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._writer, self._run_sync, self._write_engine, fn, args)
        async with self._async_engine.begin() as conn:
            return await conn.run_sync(fn, *args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` in a read transaction."""
        if self.sqlite:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._readers, self._run_sync, self._read_engine, fn, args)
        async with self._async_engine.connect() as conn:
            return await conn.run_sync(fn, *args)

    async def read_heavy(self, fn: Callable[..., T], *args: Any) -> T:
        """A read that may take long (aggregates, exports): never on the readers ``read`` uses (SQLite),
        and never more than ``heavy_readers`` at once (PostgreSQL, where the pool is shared)."""
        if self.sqlite:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._heavy, self._run_sync, self._read_engine, fn, args)
        async with self._heavy_limit:
            return await self.read(fn, *args)

    @staticmethod
    def _run_sync(engine: Any, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with engine.begin() as conn:
            return fn(conn, *args)

    def run_blocking(self, fn: Callable[[Connection], T]) -> T:
        """For CLI tools outside a loop."""
        if self.sqlite:
            return self._run_sync(self._write_engine, fn, ())
        return asyncio.run(self.write(fn))

    def read_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """``read`` for code outside any event loop (a worker process): on PostgreSQL the async engine runs on a
        loop of this object's own, kept between calls (its pooled connections belong to that loop)."""
        if self.sqlite:
            return self._run_sync(self._read_engine, fn, args)
        if self._own_loop is None:
            self._own_loop = asyncio.new_event_loop()
        return self._own_loop.run_until_complete(self.read(fn, *args))

    async def ping(self) -> bool:
        from sqlalchemy import text

        try:
            await self.read(lambda c: c.execute(text("SELECT 1")).scalar())
            return True
        except Exception:  # noqa: BLE001 - health check reports, never raises
            log.warning("database ping failed", exc_info=True)
            return False

    async def close(self) -> None:
        if self.sqlite:
            self._writer.shutdown(wait=True)
            self._readers.shutdown(wait=True)
            self._heavy.shutdown(wait=True)
            self._write_engine.dispose()
            self._read_engine.dispose()
        else:
            await self._async_engine.dispose()
