"""Migrations are all-or-nothing on SQLite: a failing migration, or a process killed in the middle of one,
leaves the database at its previous revision, and the next ``db upgrade`` starts from there.

Each test copies store/migrations and adds one migration after the head that creates a table and then
fails (or blocks until the test kills the process), so the real chain runs unchanged before it.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from store.migrate import MIGRATIONS, alembic_config, upgrade
from tests.harness.waiting import eventually

ROOT = Path(__file__).resolve().parents[1]

EXTRA = '''
from alembic import op
import sqlalchemy as sa
import time
from pathlib import Path

revision = "9999_extra"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
    op.add_column("ticket", sa.Column("half_done_note", sa.Text, nullable=True))
    op.execute("INSERT INTO half_done (id) VALUES (1)")
    {then}


def downgrade() -> None:
    op.drop_column("ticket", "half_done_note")
    op.drop_table("half_done")
'''
FAIL = 'raise RuntimeError("migration failed half-way")'
BLOCK = ('Path({marker!r}).write_text("inside")\n'
         '    while True:  # until the test kills the process\n'
         '        time.sleep(0.05)')


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _with_extra(tmp_path: Path, then: str) -> Path:
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_extra.py").write_text(EXTRA.format(head=_head(), then=then))
    return scripts


def _config(url: str, scripts: Path) -> Config:
    cfg = alembic_config(url)
    cfg.set_main_option("script_location", str(scripts))
    return cfg


def _state(path: Path) -> tuple[str | None, set[str], set[str]]:
    """(revision, tables, ticket columns) read with the plain sqlite3 module."""
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] \
            if "alembic_version" in tables else None
        columns = {r[1] for r in conn.execute("PRAGMA table_info(ticket)")}
    return revision, tables, columns


def test_a_failing_migration_leaves_the_previous_revision(tmp_path: Path) -> None:
    db = tmp_path / "aduan.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO channel_state (key, value, updated_at) VALUES ('k', 'v', '2026-12-02')")
    with pytest.raises(RuntimeError, match="half-way"):
        command.upgrade(_config(url, _with_extra(tmp_path, FAIL)), "head")
    revision, tables, columns = _state(db)
    assert revision == _head()
    assert "half_done" not in tables and "half_done_note" not in columns
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM channel_state WHERE key = 'k'").fetchone() == ("v",)


def test_a_failure_late_in_a_chain_rolls_back_the_whole_upgrade(tmp_path: Path) -> None:
    """From an empty file through every migration to the failing one: nothing is left half-made."""
    db = tmp_path / "aduan.db"
    url = f"sqlite:///{db}"
    with pytest.raises(RuntimeError, match="half-way"):
        command.upgrade(_config(url, _with_extra(tmp_path, FAIL)), "head")
    revision, tables, _ = _state(db)
    assert revision is None and not tables - {"alembic_version"}
    upgrade(url)  # the real chain then runs from scratch
    assert _state(db)[0] == _head()


def test_a_process_killed_inside_a_migration_leaves_the_previous_revision(tmp_path: Path) -> None:
    db = tmp_path / "aduan.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    marker = tmp_path / "inside"
    scripts = _with_extra(tmp_path, BLOCK.format(marker=str(marker)))
    code = ("import sys; from alembic import command; from store.migrate import alembic_config; "
            "cfg = alembic_config(sys.argv[1]); cfg.set_main_option('script_location', sys.argv[2]); "
            "command.upgrade(cfg, 'head')")
    proc = subprocess.Popen([sys.executable, "-c", code, url, str(scripts)], cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        asyncio.run(eventually(lambda: marker.exists() or proc.poll() is not None, "the migration to start"))
        assert proc.poll() is None, "the upgrade process ended before reaching the blocking migration"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    revision, tables, columns = _state(db)
    assert revision == _head()
    assert "half_done" not in tables and "half_done_note" not in columns
    upgrade(url)  # and the database is usable: the next upgrade finds nothing to do
    assert _state(db)[0] == _head()
