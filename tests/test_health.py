"""Honest health (issue 9, point 8): /healthz turns degraded and says why;
/livez and /readyz for orchestrators; details for admins only."""
from __future__ import annotations

import errno
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from adapters.errors import TransientError
from bot.health import HealthChecks, probe_directory
from bot.models import InboundMessage
from tests.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SENDER = "+6281200000009"


async def _report(gateway, n: int = 1, first: int = 0) -> None:
    for i in range(first, first + n):
        (outcome,) = await gateway.intake.submit([InboundMessage(
            channel="memory", external_id=f"health-{i}", sender=f"{SENDER[:-1]}{i}",
            text="Lampu jalan mati di Jl. Kemang Raya Kel. Bangka")])
        assert outcome.action == "new_ticket"


async def _health(client) -> dict:
    r = await client.get("/healthz", headers=ADMIN)
    assert r.status_code == 200
    return r.json()


async def test_anonymous_healthz_is_the_status_alone(client):
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    for headers in ({"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN}):
        assert (await client.get("/healthz", headers=headers)).json() == {"status": "ok"}
    body = await _health(client)
    assert body["status"] == "ok" and body["problems"] == []
    assert body["channels"]["partner"]["partners"] == ["jaki"]  # a detail only admins see


async def test_anonymous_healthz_says_degraded_without_the_reason(client, gateway, clock):
    await _report(gateway)
    clock.advance(minutes=11)
    r = await client.get("/healthz")
    assert (r.status_code, r.json()) == (200, {"status": "degraded"})


async def test_last_n_failed_sends_degrade_the_channel_until_one_succeeds(client, gateway, memory):
    n = gateway.config.health.failed_sends
    await _report(gateway, n)
    memory.fail_with(*[TransientError("provider 503")] * n)
    assert await gateway.dispatcher.run_once() == n
    assert gateway.dispatcher.failure_streaks()["memory"] == n
    body = await _health(client)
    assert body["status"] == "degraded"
    assert body["channels"]["memory"]["state"] == "degraded"
    assert f"last {n} sends failed" in body["channels"]["memory"]["reasons"]
    assert any(p.startswith("channel memory:") for p in body["problems"])
    assert body["channels"]["partner"]["state"] == "ok"


async def test_fewer_failures_than_the_threshold_stay_ok_and_a_success_resets(client, gateway, memory):
    n = gateway.config.health.failed_sends
    await _report(gateway, n - 1)
    memory.fail_with(*[TransientError("x")] * (n - 1))
    await gateway.dispatcher.run_once()
    assert gateway.dispatcher.failure_streaks()["memory"] == n - 1
    assert (await _health(client))["status"] == "ok"
    await _report(gateway, 1, first=n)  # the failed ones back off; this one is sent
    await gateway.dispatcher.run_once()
    assert gateway.dispatcher.failure_streaks()["memory"] == 0


async def test_old_queued_reply_degrades_its_channel(client, gateway, clock):
    await _report(gateway)
    clock.advance(minutes=9)
    body = await _health(client)
    assert body["status"] == "ok" and body["channels"]["memory"]["oldest_queued_seconds"] == 540
    clock.advance(minutes=2)
    body = await _health(client)
    assert body["status"] == "degraded"
    assert body["channels"]["memory"]["reasons"] == ["oldest queued reply waits 11 min"]


async def test_dead_letters_degrade_health(client, gateway):
    await _report(gateway)
    await gateway.db.write(lambda c: c.execute(text("UPDATE message SET status = 'dead' WHERE direction = 'out'")))
    body = await _health(client)
    assert body["status"] == "degraded"
    assert "outbox: 1 dead letter(s)" in body["problems"]


async def test_database_that_cannot_be_written_degrades_health(client, gateway, monkeypatch):
    async def full_disk(fn, *args):
        raise OperationalError("UPDATE channel_state", {}, Exception("database or disk is full"))

    monkeypatch.setattr(gateway.db, "write", full_disk)
    body = await _health(client)
    assert body["status"] == "degraded"
    assert body["database"] == {"ok": True, "dialect": gateway.db.dialect, "writable": False,
                                "error": "OperationalError"}
    assert "database: cannot write (OperationalError)" in body["problems"]


async def test_database_write_probe_really_writes(client, gateway):
    await _health(client)
    value = await gateway.db.read(lambda c: c.execute(
        text("SELECT value FROM channel_state WHERE key = 'health:write-probe'")).scalar())
    assert value == gateway.clock.now().isoformat()


async def test_full_media_disk_degrades_health(client, gateway):
    def enospc(directory: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    client._transport.app.app.state.health = HealthChecks(gateway, media_probe=enospc)
    body = await _health(client)
    assert body["status"] == "degraded"
    assert body["media"] == {"writable": False, "error": "OSError: No space left on device"}
    assert "media: cannot write (OSError: No space left on device)" in body["problems"]


def test_media_probe_leaves_nothing_behind_and_raises_when_it_cannot_write(tmp_path):
    probe_directory(tmp_path / "media")
    assert list((tmp_path / "media").iterdir()) == []
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(OSError):
        probe_directory(blocker)


async def test_livez_always_answers(client):
    r = await client.get("/livez")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


async def test_readyz_checks_the_migration_head(client, gateway):
    assert (await client.get("/readyz")).json() == {"status": "ready"}
    head = await gateway.db.read(lambda c: c.execute(text("SELECT version_num FROM alembic_version")).scalar())
    await gateway.db.write(lambda c: c.execute(text("UPDATE alembic_version SET version_num = '0003'")))
    try:
        r = await client.get("/readyz")
        assert r.status_code == 503
        assert r.json() == {"status": "not ready", "reason": f"database at migration 0003, code needs {head}"}
    finally:
        await gateway.db.write(lambda c: c.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head}))


async def test_readyz_and_healthz_without_a_database(client, gateway, monkeypatch):
    async def down() -> bool:
        return False

    monkeypatch.setattr(gateway.db, "ping", down)
    r = await client.get("/readyz")
    assert (r.status_code, r.json()) == (503, {"status": "not ready", "reason": "database unreachable"})
    r = await client.get("/healthz")
    assert (r.status_code, r.json()) == (503, {"status": "degraded"})
    assert (await client.get("/livez")).status_code == 200


async def test_a_failing_outbox_read_is_reported_not_a_500(client, gateway, monkeypatch):
    async def up() -> bool:
        return True

    async def broken_read(fn, *args):
        raise OperationalError("SELECT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(gateway.db, "ping", up)
    monkeypatch.setattr(gateway.db, "read", broken_read)
    body = await _health(client)
    assert body["status"] == "degraded"
    assert "database: cannot read the outbox (OperationalError)" in body["problems"]
