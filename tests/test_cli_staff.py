"""``aduan staff ...`` (issue 11, point 6): the staff directory from the command line, on a fresh instance.

config.yaml's ``staff:`` seeds the directory; once the CLI changed an officer, config no longer does."""
from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.web.security import verify_password
from tests.test_cli import _restore_logging  # noqa: F401 - the same autouse fixture


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    root = tmp_path / "instance"
    assert main(["init", str(root)]) == 0
    _set_staff(root, [{"code": "lurah-bangka", "name": "Lurah Bangka", "role": "lurah", "area": "31.74.03.1002",
                       "slack_user_id": "U_LURAH", "telegram_user_id": "7770001"}])
    return root


def _set_staff(root: Path, staff: list[dict]) -> None:
    path = root / "config.yaml"
    data = yaml.safe_load(path.read_text())
    data["staff"] = staff
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def _run(root: Path, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--config", str(root / "config.yaml"), "staff", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _db(root: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(root / "var" / "aduan.db") as conn:
        return conn.execute(sql, params).fetchall()


def test_add_list_show_link_role_disable_enable(instance, capsys):
    assert _run(instance, capsys, "add", "dlh-1", "--name", "Petugas DLH", "--role", "agency_officer",
                "--agency", "DLH", "--email", "dlh@example.go.id")[0] == 0
    code, out, _ = _run(instance, capsys, "list")
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["dlh-1", "lurah-bangka"]  # config's officer seeded too
    assert "slack:U_LURAH,telegram:7770001" in lines[1] and "config" in lines[1]
    assert _run(instance, capsys, "link", "dlh-1", "slack", "U_DLH")[0] == 0
    code, _, err = _run(instance, capsys, "link", "dlh-1", "slack", "U_LURAH")
    assert code == 2 and "linked to another officer" in err  # one officer per (channel, external id)
    assert _run(instance, capsys, "set-role", "dlh-1", "validator")[0] == 0
    code, out, _ = _run(instance, capsys, "show", "dlh-1")
    assert code == 0 and "validator" in out and "slack:U_DLH" in out and "no longer applies" in out
    assert _run(instance, capsys, "disable", "dlh-1")[0] == 0
    assert _db(instance, "SELECT active, session_epoch FROM staff WHERE code = 'dlh-1'") == [(0, 2)]
    assert _run(instance, capsys, "enable", "dlh-1")[0] == 0
    assert _db(instance, "SELECT active FROM staff WHERE code = 'dlh-1'") == [(1,)]
    assert _run(instance, capsys, "link", "dlh-1", "slack", "U_DLH", "--remove")[0] == 0
    assert _db(instance, "SELECT count(*) FROM staff_identity i JOIN staff s ON s.id = i.staff_id "
                         "WHERE s.code = 'dlh-1'") == [(0,)]
    audit = _db(instance, "SELECT action, actor, detail FROM staff_audit WHERE staff_code = 'dlh-1' ORDER BY id")
    assert [a for a, _, _ in audit] == ["staff_add", "staff_link", "staff_set_role", "staff_disable", "staff_enable",
                                        "staff_unlink"]
    assert {actor for _, actor, _ in audit} == {"cli"}
    assert json.loads(audit[2][2]) == {"role": "validator"}
    assert json.loads(audit[1][2]) == {"channel": "slack", "external_id": "U_DLH"}


def test_refusals(instance, capsys):
    assert _run(instance, capsys, "show", "nobody")[0] == 2
    assert _run(instance, capsys, "disable", "nobody")[0] == 2
    assert _run(instance, capsys, "add", "x", "--name", "X", "--role", "lurah", "--agency", "NOPE")[0] == 2
    code, out, err = _run(instance, capsys, "add", "lurah-bangka", "--name", "Dup", "--role", "lurah")
    assert (code, out) == (2, "") and err.endswith("staff: officer 'lurah-bangka' exists already\n")
    with pytest.raises(SystemExit):
        _run(instance, capsys, "set-role", "lurah-bangka", "superuser")


def test_set_password_from_stdin(instance, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("pendek\n"))
    assert _run(instance, capsys, "set-password", "lurah-bangka", "--stdin")[0] == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("kata-sandi-panjang-789\n"))
    code, out, _ = _run(instance, capsys, "set-password", "lurah-bangka", "--stdin")
    assert code == 0 and "sessions ended" in out
    ((stored, epoch),) = _db(instance, "SELECT password_hash, session_epoch FROM staff WHERE code = 'lurah-bangka'")
    assert stored.startswith("scrypt$") and verify_password("kata-sandi-panjang-789", stored) and epoch == 1
    assert "kata-sandi-panjang-789" not in str(_db(instance, "SELECT * FROM staff_audit"))


def test_config_seeds_until_the_database_changed_an_officer(instance, capsys):
    _run(instance, capsys, "list")
    # config edits apply to an officer nobody changed in the database...
    _set_staff(instance, [{"code": "lurah-bangka", "name": "Ibu Lurah Bangka", "role": "lurah", "area": "31.74.03.1002",
                           "slack_user_id": "U_LURAH"},
                          {"code": "camat", "name": "Camat Mampang", "role": "lurah", "area": "31.74.03"}])
    _run(instance, capsys, "list")
    assert _db(instance, "SELECT code, name, managed_by FROM staff ORDER BY code") == [
        ("camat", "Camat Mampang", "config"), ("lurah-bangka", "Ibu Lurah Bangka", "config")]
    # ...until the CLI changes them: then the database wins over config.yaml.
    assert _run(instance, capsys, "set-role", "camat", "validator")[0] == 0
    _set_staff(instance, [{"code": "camat", "name": "Camat Baru", "role": "lurah", "area": "31.74.03",
                           "telegram_user_id": "999"}])
    _run(instance, capsys, "list")
    assert _db(instance, "SELECT name, role, managed_by FROM staff WHERE code = 'camat'") == [
        ("Camat Mampang", "validator", "db")]
    assert _db(instance, "SELECT count(*) FROM staff_identity WHERE external_id = '999'") == [(0,)]
    # an officer left out of config is kept (the directory lives in the database)
    assert _db(instance, "SELECT count(*) FROM staff WHERE code = 'lurah-bangka'") == [(1,)]


def test_reset_2fa(instance, capsys):
    _run(instance, capsys, "list")
    with sqlite3.connect(instance / "var" / "aduan.db") as conn:
        conn.execute("UPDATE staff SET totp_secret = 'JBSWY3DPEHPK3PXP' WHERE code = 'lurah-bangka'")
        conn.execute("INSERT INTO staff_recovery_code (staff_id, code_hash, created_at) "
                     "SELECT id, 'sha256$x', '2026-01-01 00:00:00' FROM staff WHERE code = 'lurah-bangka'")
    assert "2fa" in _run(instance, capsys, "list")[1]
    assert _run(instance, capsys, "reset-2fa", "lurah-bangka")[0] == 0
    assert _db(instance, "SELECT totp_secret FROM staff WHERE code = 'lurah-bangka'") == [(None,)]
    assert _db(instance, "SELECT count(*) FROM staff_recovery_code") == [(0,)]


def test_canned_replies_from_the_cli(instance, capsys):
    run = lambda *a: (main(["--config", str(instance / "config.yaml"), "canned", *a]), capsys.readouterr())  # noqa: E731
    assert run("add", "--language", "id", "--title", "Sampah diangkut", "--body", "Sampah sudah diangkut.",
               "--category", "sampah")[0] == 0
    assert run("add", "--language", "en", "--title", "Thanks", "--body", "Thank you.")[0] == 0
    assert run("add", "--language", "id", "--title", "X", "--body", "Y", "--category", "nope")[0] == 2
    code, out = run("list")
    assert code == 0 and out.out.splitlines() == ["2  *  en  Thanks", "1  sampah  id  Sampah diangkut"]
    assert run("delete", "1")[0] == 0 and run("delete", "1")[0] == 2
    assert _db(instance, "SELECT action, actor FROM staff_audit ORDER BY id") == [
        ("canned_add", "cli"), ("canned_add", "cli"), ("canned_delete", "cli")]
