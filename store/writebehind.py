"""Write-behind inserts for a group commit: rows whose id nobody needs, sent together.

Inside ``batched(conn)``, ``insert_later(conn, table, values)`` queues a row instead of
sending it. The queue is written as one executemany per table (SQLAlchemy's
"insertmanyvalues": one multi-row INSERT per up to 1,000 rows, on asyncpg too) just
before the next statement the connection runs, whatever it is (a read, a SAVEPOINT, a
RELEASE or a ROLLBACK TO), and when the block ends. So:

* every read in the transaction still sees every earlier write (read-your-writes holds);
* a row queued inside a savepoint is written inside it, so rolling the savepoint back
  discards it like any other write;
* on PostgreSQL a group of messages pays one round trip for its audit events instead of
  one per event (a round trip costs far more there than the insert itself).

Written here rather than taken from a library: SQLAlchemy Core has no unit of work, and
the ORM's flush would bring object identity and a second model layer onto the hot path.
Outside ``batched`` (or on an engine without ``install``), ``insert_later`` inserts at once.
"""
from __future__ import annotations

import functools
import weakref
from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import Connection, Engine, Insert, Table, event, func, select, text

from store.tables import metadata

_KEY = "aduan_write_behind"
_IDS = "aduan_reserved_ids"
_HIGH = "aduan_reserved_high"
_CHUNK = "aduan_reserve_chunk"
_installed: "weakref.WeakSet[Engine]" = weakref.WeakSet()
# An execution option: the statement reads no table row (a sequence's next values), so the queue need not go first.
_READS_NO_ROWS = "aduan_reads_no_rows"


def install(engine: Engine) -> None:
    """Let connections of ``engine`` defer inserts (a flush runs before each statement)."""
    if engine in _installed:
        return
    _installed.add(engine)

    @event.listens_for(engine, "before_execute")
    def _flush_first(conn: Connection, clause: Any, _multiparams: Any, _params: Any,
                     execution_options: Any) -> None:
        pending = conn.info.get(_KEY)
        if pending and not execution_options.get(_READS_NO_ROWS) \
                and not _independent(clause, {table for table, _ in pending}):
            flush(conn)


def _independent(clause: Any, tables: set[Table]) -> bool:
    """An INSERT into a table that neither is queued nor references a queued one can go
    first: it reads nothing the queue holds. Everything else (reads, updates, savepoints) waits."""
    if not isinstance(clause, Insert) or not isinstance(clause.table, Table):
        return False
    target = clause.table
    return target not in tables and not any(fk.column.table in tables for fk in target.foreign_keys)


@contextmanager
def batched(conn: Connection, size: int = 1) -> Iterator[None]:
    """Defer ``insert_later`` rows until the next statement or the end of the block.

    ``size``: about how many rows of a table the block will queue (ids are reserved by that many).
    """
    if _KEY in conn.info or conn.engine not in _installed:
        yield
        return
    conn.info[_KEY] = {}
    conn.info[_CHUNK] = max(1, size) + 1
    try:
        yield
        flush(conn)
    finally:
        conn.info.pop(_KEY, None)
        conn.info.pop(_IDS, None)  # unused reserved ids are gaps in the sequence, as after any rollback
        conn.info.pop(_HIGH, None)
        conn.info.pop(_CHUNK, None)


def insert_later(conn: Connection, table: Table, values: dict[str, Any]) -> None:
    pending: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] | None = conn.info.get(_KEY)
    if pending is None:
        conn.execute(table.insert(), [values])
        return
    # Grouped by the columns named: an executemany needs every row to name the same ones.
    pending.setdefault((table, tuple(values)), []).append(values)


def flush(conn: Connection) -> None:
    """Write the queued rows now, group by group in the order they were first queued."""
    pending: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] | None = conn.info.get(_KEY)
    if not pending:
        return
    conn.info[_KEY] = {}  # taken before executing: the flush's own INSERTs must not flush again
    # Parents before children (tickets before their events), whatever order they were queued in.
    order = _table_order()
    for (table, _), rows in sorted(pending.items(), key=lambda kv: order.get(kv[0][0], len(order))):
        conn.execute(table.insert(), rows)


@functools.lru_cache(maxsize=1)
def _table_order() -> dict[Table, int]:
    return {t: n for n, t in enumerate(metadata.sorted_tables)}


def next_id(conn: Connection, table: Table) -> int | None:
    """An id for a row of ``table`` queued in this block, or None outside ``batched``.

    PostgreSQL: taken from the table's sequence, a chunk per round trip. SQLite: counted up
    from max(id), read once: the write lock (BEGIN IMMEDIATE) is held for the whole
    transaction, so no other writer can take those ids meanwhile.
    """
    if _KEY not in conn.info:
        return None
    pools: dict[Table, list[int]] = conn.info.setdefault(_IDS, {})
    pool = pools.get(table)
    if not pool:
        pool = pools[table] = _reserve(conn, table, conn.info.get(_CHUNK, 2))
    return pool.pop()


def _reserve(conn: Connection, table: Table, count: int) -> list[int]:
    """The next ``count`` ids, highest first (popped from the end). On PostgreSQL the ids a
    block does not use are gaps in the sequence, as after any rolled-back insert."""
    if conn.dialect.name == "postgresql":
        # Not a flush point: a group's first reply would otherwise send the tickets and events queued before it
        # in statements of their own (three more per group).
        ids = conn.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                           {"t": table.name, "n": count}, execution_options={_READS_NO_ROWS: True}).scalars()
        return sorted(ids, reverse=True)
    high = conn.info.setdefault(_HIGH, {})
    if table not in high:
        high[table] = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    first = high[table] + 1
    high[table] += count
    return list(range(first + count - 1, first - 1, -1))
