"""Shared fixtures: a migrated database per test (SQLite, or PostgreSQL when
ADUAN_TEST_DATABASE_URL is set), the project's real config, an injected clock."""
from __future__ import annotations

import asyncio
import copy
import os
import shutil
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
import yaml

from adapters.partner import PartnerAdapter
from bot.clock import FakeClock
from bot.config import AppConfig, parse_config
from bot.gateway import Gateway
from store.migrate import upgrade
from tests.memory_adapter import MemoryAdapter

ROOT = Path(__file__).resolve().parents[1]
TEST_PG = os.environ.get("ADUAN_TEST_DATABASE_URL")
PARTNER_KEY = "test-partner-key-0123456789"
ADMIN_TOKEN = "test-admin-token-abcdef"
# Every table, so PostgreSQL runs start each test empty (SQLite copies a fresh file).
from store.tables import metadata as _metadata  # noqa: E402

TABLES = [t.name for t in reversed(_metadata.sorted_tables)]


def _pg_admin(url: str, sql: str) -> None:
    import asyncpg

    async def run() -> None:
        base = url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
        conn = await asyncpg.connect(base)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def _pg_exec(url: str, sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per session; each test gets a copy (SQLite) or truncated tables (PostgreSQL)."""
    if TEST_PG:
        name = TEST_PG.rsplit("/", 1)[1]
        _pg_admin(TEST_PG, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_admin(TEST_PG, f'CREATE DATABASE "{name}"')
        upgrade(TEST_PG)
        return TEST_PG
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> str:
    if TEST_PG:
        _pg_exec(TEST_PG, "TRUNCATE " + ", ".join(TABLES) + " RESTART IDENTITY CASCADE")
        return TEST_PG
    target = tmp_path / "aduan.db"
    shutil.copy(migrated_template, target)
    return f"sqlite:///{target}"


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


_RAW_CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def make_config(tmp_path: Path, database_url: str = "sqlite:///unused.db", **overrides: Any) -> AppConfig:
    """The shipped config.yaml with test paths, keys and overrides."""
    data = _merge(_RAW_CONFIG, {
        "instance": {"public_base_url": "http://aduan.test"},
        "database": {"url": database_url},
        # Tests read their own writes at once: the public pages' cache is off unless a test turns it on.
        "http": {"public_cache_seconds": 0},
        # The duplicate lookup on the writer: a worker process per gateway would cost every test a spawn.
        # tests/staff/test_duplicate_worker.py runs it in its process.
        "duplicates": {"lookup_process": False},
        "media": {"dir": str(tmp_path / "media")},
        "routing": {"areas_csv": str(ROOT / "data" / "jakarta_areas.csv")},
        "admin": {"api_token": ADMIN_TOKEN},
        "channels": {"partner": {"partners": [
            {"name": "jaki", "api_key": PARTNER_KEY, "callback_url": None, "callback_secret": "cb-secret"},
        ]}},
    })
    data = _merge(data, overrides)
    return parse_config(data, base_dir=str(ROOT))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> AppConfig:
    return make_config(tmp_path, database_url)


@pytest.fixture
def memory() -> MemoryAdapter:
    return MemoryAdapter()


@pytest.fixture
async def gateway(config: AppConfig, database_url: str, clock: FakeClock, memory: MemoryAdapter) -> AsyncIterator[Gateway]:
    gw = Gateway(config, clock=clock, database_url=database_url,
                 adapters=[(PartnerAdapter(config.channels.partner, allow_private_hosts=True), []),
                           (memory, ["/webhooks/memory"])])
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    try:
        yield gw
    finally:
        await gw.stop()


@pytest.fixture
async def client(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    from bot.http.app import create_app

    transport = httpx.ASGITransport(app=create_app(gateway))
    async with httpx.AsyncClient(transport=transport, base_url="http://aduan.test") as c:
        yield c
