"""Planner statistics: ANALYZE after migrations, PRAGMA optimize hourly and at shutdown (issue 16)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from scheduler.jobs import build_scheduler, refresh_statistics
from store.migrate import upgrade


def _stat_tables(path: Path) -> list[str]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_stat%'")).scalars())
    finally:
        engine.dispose()


def test_upgrade_leaves_sqlite_statistics(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    upgrade(f"sqlite:///{db}")
    assert "sqlite_stat1" in _stat_tables(db)


def test_upgrade_analyses_a_database_that_never_had_statistics(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    upgrade(f"sqlite:///{db}")
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE sqlite_stat1"))
    engine.dispose()
    upgrade(f"sqlite:///{db}")  # nothing to migrate, but no statistics: ANALYZE again
    assert "sqlite_stat1" in _stat_tables(db)


async def test_statistics_job_is_scheduled_and_runs(gateway) -> None:
    assert "refresh_statistics" in {j.id for j in build_scheduler(gateway).get_jobs()}
    await refresh_statistics(gateway)  # PRAGMA optimize on SQLite, nothing on PostgreSQL; never raises
    if gateway.db.sqlite:
        names = await gateway.db.read(lambda c: list(c.execute(
            text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalars()))
        assert names == ["sqlite_stat1"]
