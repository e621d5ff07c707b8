"""Planner statistics: SQLite's ``PRAGMA optimize`` and ``ANALYZE``; PostgreSQL's ``ANALYZE``.

Without statistics SQLite's planner guesses: at a million tickets it walked the status index for a kelurahan
page instead of the area index (issue 16). ``analyze`` runs after migrations (``store.migrate.upgrade``);
``optimize`` runs hourly from the scheduler and at shutdown, as SQLite's documentation recommends for
long-lived connections. ``analysis_limit`` bounds the rows ANALYZE reads per index, so neither blocks the
single writer for long on a large database. PostgreSQL's autovacuum re-analyses changed tables by itself.
"""
from __future__ import annotations

from sqlalchemy import Connection

# Rows examined per index by ANALYZE / PRAGMA optimize on SQLite (approximate statistics, bounded time).
SQLITE_ANALYSIS_LIMIT = 1000


def analyze(conn: Connection) -> None:
    """Gather statistics for every table (after a migration)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
    conn.exec_driver_sql("ANALYZE")


def optimize(conn: Connection) -> None:
    """Refresh statistics where they are stale (SQLite); PostgreSQL leaves it to autovacuum."""
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
    conn.exec_driver_sql("PRAGMA optimize")


def has_statistics(conn: Connection) -> bool:
    """Whether ANALYZE ever ran (SQLite: sqlite_stat1 exists; PostgreSQL: the ticket table was analysed)."""
    if conn.dialect.name == "sqlite":
        sql = "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
    else:
        sql = ("SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'ticket' "
               "AND coalesce(last_analyze, last_autoanalyze) IS NOT NULL")
    return bool(conn.exec_driver_sql(sql).scalar())
