"""Alembic environment: one set of migrations for SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, create_engine, event, pool
from sqlalchemy.ext.asyncio import create_async_engine

from store.tables import metadata

config = context.config
target_metadata = metadata


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: pass attributes['url'] or set sqlalchemy.url")
    return str(url)


def _do_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTER TABLE limits
        compare_type=True,
        # All pending migrations in one transaction, DDL included, on both databases: a migration that
        # fails or a process killed half-way leaves the database at its previous revision, never a
        # half-migrated file (SQLite's DDL is transactional once the driver stops autocommitting it,
        # see _sqlite_engine).
        transactional_ddl=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as conn:
        await conn.run_sync(_do_run)
    await engine.dispose()


def _sqlite_engine(url: str) -> Engine:
    """pysqlite opens transactions only before INSERT/UPDATE/DELETE, so a CREATE or ALTER would commit by
    itself; with the driver's handling off, SQLAlchemy's BEGIN covers the DDL too (the SQLAlchemy docs'
    "Serializable isolation / Savepoints / Transactional DDL" recipe for pysqlite)."""
    engine = create_engine(url, poolclass=pool.NullPool)

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock at once: no upgrade racing another

    return engine


def run_online() -> None:
    url = _url()
    if "+asyncpg" in url:
        asyncio.run(_run_async(url))
        return
    engine = _sqlite_engine(url) if url.startswith("sqlite") else create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        _do_run(conn)
        conn.commit()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
