"""Rows of a SELECT as plain dicts, read cheaply where a request reads thousands of them (Open311 listings).

On SQLite the statement still runs through SQLAlchemy (compilation, the write-behind flush of
``store.writebehind``, the same SQL on both databases), but the rows are read with one ``fetchall`` off the
driver's cursor, and only the columns whose type converts values (timestamps) go through that type's own
result processor. SQLAlchemy's per-row fetch and processing cost about as much as the query itself for a
thousand rows (BENCHMARKS.md, "Open311 listings"); the values are the same. PostgreSQL (asyncpg behind the
async bridge) keeps SQLAlchemy's rows.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from sqlalchemy import Connection, Select


def plain_rows(conn: Connection, stmt: Select[Any], params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """``stmt``'s rows as dicts keyed by column label, values as SQLAlchemy would return them."""
    result = conn.execute(stmt, dict(params or {}))
    names = list(result.keys())
    if conn.dialect.name != "sqlite":
        return [dict(zip(names, row)) for row in result.all()]
    converters: list[tuple[int, Callable[[Any], Any]]] = []
    for i, column in enumerate(stmt.selected_columns):
        # dialect_impl: a TypeDecorator's own processing after its SQLite implementation's (text to datetime)
        process = column.type.dialect_impl(conn.dialect).result_processor(conn.dialect, None)
        if process is not None:
            converters.append((i, process))
    try:
        raw = result.cursor.fetchall()
    finally:
        result.close()
    if not converters:
        return [dict(zip(names, row)) for row in raw]
    out = []
    for row in raw:
        values = list(row)
        for i, convert in converters:
            values[i] = convert(values[i])
        out.append(dict(zip(names, values)))
    return out
