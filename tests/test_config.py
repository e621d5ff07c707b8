"""Configuration: the shipped file, errors that name the key, env overrides, the CLI."""
from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr
from sqlalchemy import create_engine, inspect

from bot.config import AppConfig, ConfigError, load_config, parse_config
from bot.lifecycle import Status
from bot.routing import KECAMATAN, KELURAHAN, KOTA
from bot.templates import REQUIRED_KEYS
from tests.conftest import ROOT, TABLES

SHIPPED = ROOT / "config.yaml"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped config reads ADUAN_* variables; tests start without any."""
    for name in list(os.environ):
        if name.startswith("ADUAN_") or name == "NOPE":
            monkeypatch.delenv(name)


def _raw() -> dict[str, Any]:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def _parse(data: dict[str, Any]) -> AppConfig:
    return parse_config(data, base_dir=str(ROOT))


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        _parse(data)
    return str(info.value)


# --- the shipped config ---------------------------------------------------------

def test_shipped_config_validates():
    cfg = load_config(str(SHIPPED))
    assert isinstance(cfg, AppConfig)
    assert cfg.instance.tracking_prefix == "JKT"
    assert cfg.instance.default_language == "id"
    assert cfg.http.port == 8080  # from ${ADUAN_HTTP_PORT:-8080}, coerced to int
    assert Path(cfg.base_dir) == ROOT
    assert cfg.path(cfg.routing.areas_csv) == ROOT / "data" / "jakarta_areas.csv"


async def test_shipped_areas_are_all_of_jakarta(gateway):
    levels = [a.level for a in gateway.areas]
    assert levels.count(KOTA) == 6
    assert levels.count(KECAMATAN) == 44
    assert levels.count(KELURAHAN) == 267
    assert len(levels) == 6 + 44 + 267
    by_code = {a.code: a for a in gateway.areas}
    # Every kelurahan hangs under a kecamatan, every kecamatan under a kota.
    for a in gateway.areas:
        if a.level == KELURAHAN:
            assert by_code[a.parent_code].level == KECAMATAN, a
        elif a.level == KECAMATAN:
            assert by_code[a.parent_code].level == KOTA, a
    # ... and the gateway synced them to the database at start.
    from sqlalchemy import func, select

    from store import repo

    counts = await gateway.db.read(lambda c: dict(c.execute(
        select(repo.T_AREA.c.level, func.count()).group_by(repo.T_AREA.c.level)).all()))
    assert counts == {KOTA: 6, KECAMATAN: 44, KELURAHAN: 267}


def test_shipped_categories_and_agencies():
    cfg = load_config(str(SHIPPED))
    codes = [c.code for c in cfg.categories]
    assert "lainnya" in codes
    assert len(codes) == len(set(codes))
    agencies = {a.code for a in cfg.agencies}
    for c in cfg.categories:
        assert c.agency is None or c.agency in agencies, c.code
        if c.code != "lainnya":
            assert c.agency is not None, f"{c.code} has no agency"
    for a in cfg.agencies:
        assert a.parent is None or a.parent in agencies, a.code


def test_shipped_templates_and_labels_complete():
    cfg = load_config(str(SHIPPED))
    for lang in ("id", "en"):
        missing = [k for k in REQUIRED_KEYS if not cfg.templates.get(lang, {}).get(k)]
        assert missing == [], f"templates.{lang} missing {missing}"
        missing = [s.value for s in Status if not cfg.status_labels.get(lang, {}).get(s.value)]
        assert missing == [], f"status_labels.{lang} missing {missing}"


# --- errors name the key ----------------------------------------------------------

def test_wrong_type_names_the_key():
    data = _raw()
    data["http"]["port"] = "abc"
    msg = _error(data)
    assert "http.port" in msg
    assert "integer" in msg.lower()


def test_out_of_range_names_the_key():
    data = _raw()
    data["outbox"]["retry_horizon_hours"] = 0
    assert "outbox.retry_horizon_hours" in _error(data)


def test_unknown_nested_key_is_refused():
    data = _raw()
    data["http"]["portt"] = 8080
    msg = _error(data)
    assert "http.portt" in msg
    assert "extra" in msg.lower() or "not permitted" in msg.lower()


def test_unknown_top_level_key_is_refused():
    data = _raw()
    data["databse"] = {"url": "sqlite:///x.db"}
    assert "databse" in _error(data)


def test_unknown_key_in_a_list_item_names_the_index():
    data = _raw()
    data["categories"][2]["agensi"] = "DLH"
    msg = _error(data)
    assert "categories[2].agensi" in msg


def test_unknown_agency_reference_names_the_key():
    data = _raw()
    idx = next(i for i, c in enumerate(data["categories"]) if c["code"] == "sampah")
    data["categories"][idx]["agency"] = "DINAS_TIDAK_ADA"
    msg = _error(data)
    assert f"categories[{idx}].agency" in msg
    assert "DINAS_TIDAK_ADA" in msg


def test_missing_triage_category_is_refused():
    data = _raw()
    data["categories"] = [c for c in data["categories"] if c["code"] != "lainnya"]
    assert "lainnya" in _error(data)


def test_unsupported_database_url_names_the_key():
    data = _raw()
    data["database"]["url"] = "mysql://x/y"
    assert "database.url" in _error(data)


def test_missing_env_var_names_key_and_variable():
    data = _raw()
    data["admin"]["api_token"] = "${NOPE}"
    msg = _error(data)
    assert "admin.api_token" in msg
    assert "NOPE" in msg


def test_missing_env_var_in_a_list_names_the_index(tmp_path):
    data = _raw()
    data["channels"]["partner"]["partners"][1]["api_key"] = "${NOPE}"
    msg = _error(data)
    assert "channels.partner.partners[1].api_key" in msg and "NOPE" in msg
    # load_config adds the file name in front.
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert str(path) in str(info.value) and "channels.partner.partners[1].api_key" in str(info.value)


def test_env_default_and_value(monkeypatch):
    data = _raw()
    data["instance"]["name"] = "${NOPE:-Aduan Uji}"
    data["http"]["port"] = "${NOPE:-9090}"
    cfg = _parse(copy.deepcopy(data))
    assert cfg.instance.name == "Aduan Uji"
    assert cfg.http.port == 9090
    monkeypatch.setenv("NOPE", "7070")
    cfg = _parse(copy.deepcopy(data))
    assert cfg.instance.name == "7070"
    assert cfg.http.port == 7070
    # An empty default is allowed: the shipped admin token is ${ADUAN_ADMIN_TOKEN:-}.
    assert load_config(str(SHIPPED)).admin.api_token.get_secret_value() == ""


def test_secrets_are_secretstr_and_never_printed(monkeypatch):
    secret_key = "partner-key-SHOULD-NOT-LEAK-8841"
    secret_token = "admin-token-SHOULD-NOT-LEAK-2297"
    secret_cb = "callback-secret-SHOULD-NOT-LEAK-5530"
    monkeypatch.setenv("ADUAN_JAKI_API_KEY", secret_key)
    monkeypatch.setenv("ADUAN_ADMIN_TOKEN", secret_token)
    monkeypatch.setenv("ADUAN_JAKI_CALLBACK_SECRET", secret_cb)
    cfg = load_config(str(SHIPPED))
    jaki = cfg.channels.partner.partners[0]
    assert isinstance(jaki.api_key, SecretStr)
    assert isinstance(jaki.callback_secret, SecretStr)
    assert isinstance(cfg.admin.api_token, SecretStr)
    assert jaki.api_key.get_secret_value() == secret_key
    assert cfg.admin.api_token.get_secret_value() == secret_token
    for text in (repr(cfg), str(cfg), repr(jaki), cfg.model_dump_json(), repr(cfg.model_dump())):
        for secret in (secret_key, secret_token, secret_cb):
            assert secret not in text


def test_config_error_for_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(str(tmp_path / "nope.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("http: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="YAML"):
        load_config(str(bad))
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(str(listy))


# --- environment overrides ----------------------------------------------------------

def test_aduan_config_names_another_file(tmp_path, monkeypatch):
    data = _raw()
    data["instance"]["name"] = "Aduan Bekasi"
    data["routing"]["areas_csv"] = str(ROOT / "data" / "jakarta_areas.csv")
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setenv("ADUAN_CONFIG", str(other))
    cfg = load_config()
    assert cfg.instance.name == "Aduan Bekasi"
    assert Path(cfg.base_dir) == tmp_path.resolve()


def test_aduan_database_url_overrides(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/override.db"
    monkeypatch.setenv("ADUAN_DATABASE_URL", url)
    assert load_config(str(SHIPPED)).database.url == url
    monkeypatch.setenv("ADUAN_CONFIG", str(SHIPPED))
    assert load_config().database.url == url


# --- the CLI --------------------------------------------------------------------------

def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ADUAN_")}
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=60)


def test_cli_help_lists_commands():
    res = _run("--help")
    assert res.returncode == 0, res.stderr
    for cmd in ("serve", "db", "check-config"):
        assert cmd in res.stdout


def test_cli_check_config_ok():
    res = _run("check-config")
    assert res.returncode == 0, res.stderr
    assert "config OK" in res.stdout


def test_cli_check_config_broken_names_the_key(tmp_path):
    data = _raw()
    data["http"]["port"] = "abc"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data), encoding="utf-8")
    res = _run("check-config", env={"ADUAN_CONFIG": str(broken)})
    assert res.returncode != 0
    assert "http.port" in res.stderr
    assert "config OK" not in res.stdout


def test_cli_db_upgrade_creates_tables(tmp_path):
    url = f"sqlite:///{tmp_path}/x.db"
    res = _run("db", "upgrade", env={"ADUAN_DATABASE_URL": url})
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "x.db").exists()
    engine = create_engine(url)
    try:
        names = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(TABLES) <= names


def test_the_postgresql_pool_is_sized_from_the_config():
    """The gateway's pool covers its usual concurrency: connections opened past it are closed on return, so
    a pool smaller than the load makes PostgreSQL start a backend for many transactions."""
    from bot.gateway import Gateway

    data = _raw()
    data["database"].update(url="postgresql+asyncpg://nobody@127.0.0.1:9/none", pool_size=7, max_overflow=3)
    gw = Gateway(_parse(data))  # the engine connects lazily: nothing is opened here
    pool = gw.db._async_engine.pool
    assert (pool.size(), pool._max_overflow) == (7, 3)
    assert _parse(_raw()).database.pool_size == 20
    data["database"]["pool_size"] = 0
    with pytest.raises(ConfigError, match="pool_size"):
        _parse(data)
