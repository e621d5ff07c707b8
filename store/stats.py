"""Planner statistics: SQLite's ``PRAGMA optimize`` and ``ANALYZE``; PostgreSQL's ``ANALYZE``.

Without statistics SQLite's planner guesses: at a million tickets it walked the status index for a kelurahan
page instead of the area index (issue 16). ``analyze`` runs after migrations (``store.migrate.upgrade``);
``optimize`` runs hourly from the scheduler and at shutdown, as SQLite's documentation recommends for
long-lived connections (it re-analyses only the tables whose size changed a lot since their last ANALYZE).
PostgreSQL's autovacuum re-analyses changed tables by itself.

No ``PRAGMA analysis_limit``: measured at 1 M tickets, ``analysis_limit=1000`` wrote statistics claiming ~1,000
tickets per status and per category (against 125,000 and 43,000), and the planner then read an Open311
listing through the category index with a sort (37 s) instead of the creation-date index. A full ANALYZE of
that database (2.2 GB) took 21 s of wall time and 3.2 s of CPU on a loaded 2-core machine; it runs only after
a migration or when statistics are missing.
"""
from __future__ import annotations

from sqlalchemy import Connection


def analyze(conn: Connection) -> None:
    """Gather statistics for every table (after a migration)."""
    conn.exec_driver_sql("ANALYZE")


def optimize(conn: Connection) -> None:
    """Refresh statistics where they are stale (SQLite); PostgreSQL leaves it to autovacuum."""
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("PRAGMA optimize")


def has_statistics(conn: Connection) -> bool:
    """Whether ANALYZE ever ran (SQLite: sqlite_stat1 exists; PostgreSQL: the ticket table was analysed)."""
    if conn.dialect.name == "sqlite":
        sql = "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
    else:
        sql = ("SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'ticket' "
               "AND coalesce(last_analyze, last_autoanalyze) IS NOT NULL")
    return bool(conn.exec_driver_sql(sql).scalar())
