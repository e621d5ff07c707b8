"""The `aduan` command: init writes a usable instance, db upgrade/downgrade move the schema both ways."""
from __future__ import annotations

import logging
import sqlite3

import pytest

from bot.cli import build_parser, main


@pytest.fixture(autouse=True)
def _restore_logging(monkeypatch):
    monkeypatch.delenv("ADUAN_DATABASE_URL", raising=False)
    monkeypatch.delenv("ADUAN_CONFIG", raising=False)
    yield
    logging.getLogger().handlers.clear()


def _revision(db) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def test_init_then_upgrade_downgrade_and_back(tmp_path, capsys) -> None:
    instance = tmp_path / "instance"
    assert main(["init", str(instance)]) == 0
    config = str(instance / "config.yaml")
    assert main(["--config", config, "db", "upgrade"]) == 0
    db = instance / "var" / "aduan.db"
    head = _revision(db)
    assert main(["--config", config, "db", "downgrade", "-1"]) == 0
    assert _revision(db) != head
    assert main(["--config", config, "db", "upgrade"]) == 0
    assert _revision(db) == head
    # init again keeps an edited config.
    (instance / "config.yaml").write_text((instance / "config.yaml").read_text() + "\n# edited\n")
    assert main(["init", str(instance)]) == 0
    assert (instance / "config.yaml").read_text().endswith("# edited\n")
    assert "kept" in capsys.readouterr().out


def test_version_and_subcommands(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("aduan ")
    args = build_parser().parse_args(["db", "downgrade", "0004"])
    assert (args.command, args.db_command, args.revision) == ("db", "downgrade", "0004")
