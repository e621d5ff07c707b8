"""Operations: /healthz and the admin outbox (dead letters, re-queue)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from adapters.errors import TransientError
from bot.models import InboundMessage
from store import repo
from tests.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SENDER = "+6281200000001"


async def _outbound(gateway) -> list[dict[str, Any]]:
    M = repo.T_MESSAGE
    return await gateway.db.read(lambda c: [dict(r) for r in c.execute(
        select(M).where(M.c.direction == "out").order_by(M.c.id)).mappings()])


async def _report(gateway) -> str:
    (outcome,) = await gateway.intake.submit([InboundMessage(
        channel="memory", external_id="adm-1", sender=SENDER,
        text="Lampu jalan mati di Jl. Kemang Raya Kel. Bangka")])
    assert outcome.action == "new_ticket"
    return outcome.tracking_id


async def _kill_one_message(gateway, clock, memory) -> dict[str, Any]:
    """Queue an ack and make every attempt fail until it is dead-lettered (past the retry horizon)."""
    await _report(gateway)
    memory.fail_with(*[TransientError("x")] * 10_000)
    attempt = 0
    while True:
        assert await gateway.dispatcher.run_once() == 1
        attempt += 1
        (msg,) = await _outbound(gateway)
        assert msg["attempts"] == attempt
        if msg["status"] == "dead":
            break
        assert msg["status"] == "queued"
        assert msg["next_attempt_at"] > clock.now()
        assert await gateway.dispatcher.run_once() == 0  # backing off
        clock.set(msg["next_attempt_at"])
    memory._script.clear()
    (msg,) = await _outbound(gateway)
    assert msg["status"] == "dead"
    assert "x" in msg["error"]
    assert memory.sent == []
    return msg


async def test_healthz_reports_database_and_channels(client):
    r = await client.get("/healthz", headers=ADMIN)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["dialect"] in ("sqlite", "postgresql")
    assert set(body["channels"]) == {"partner", "memory", "web"}  # web: /lapor without contact (adapters/web/)
    for name, state in body["channels"].items():
        assert state["state"] == "ok", name
    assert body["channels"]["partner"]["partners"] == ["jaki"]
    assert body["outbox"] == {}
    assert body["inbound_failed"] == 0


async def test_healthz_counts_the_outbox(client, gateway):
    await _report(gateway)
    body = (await client.get("/healthz", headers=ADMIN)).json()
    assert body["outbox"] == {"queued": 1}


async def test_admin_outbox_requires_the_token(client):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN},
                    {"Authorization": f"Bearer {ADMIN_TOKEN}x"}, {"X-API-Key": ADMIN_TOKEN}):
        r = await client.get("/admin/outbox", headers=headers)
        assert r.status_code == 401, headers
        assert r.json()["detail"]
        r = await client.post("/admin/outbox/1/requeue", headers=headers)
        assert r.status_code == 401, headers
    r = await client.get("/admin/outbox", headers=ADMIN)
    assert r.status_code == 200
    assert r.json() == []


async def test_dead_letter_listed_and_requeued(client, gateway, clock, memory):
    dead = await _kill_one_message(gateway, clock, memory)

    r = await client.get("/admin/outbox", headers=ADMIN)
    assert r.status_code == 200
    (row,) = r.json()
    assert row["id"] == dead["id"]
    assert row["status"] == "dead"
    assert row["attempts"] == dead["attempts"] > 1
    assert row["channel"] == "memory"
    assert "x" in row["error"]
    assert (await client.get("/healthz", headers=ADMIN)).json()["outbox"] == {"dead": 1}
    # Filtering by another status does not list it.
    assert (await client.get("/admin/outbox", headers=ADMIN, params={"status": "sent"})).json() == []

    clock.advance(minutes=5)
    r = await client.post(f"/admin/outbox/{dead['id']}/requeue", headers=ADMIN)
    assert r.status_code == 200
    assert r.json() == {"requeued": dead["id"]}
    (msg,) = await _outbound(gateway)
    assert msg["status"] == "queued" and msg["attempts"] == 0
    assert msg["next_attempt_at"] == clock.now()
    events = await gateway.db.read(lambda c: repo.events_for(c, dead["ticket_id"]))
    requeues = [e for e in events if e["kind"] == "requeue"]
    assert len(requeues) == 1
    assert requeues[0]["actor"] == "admin"
    assert requeues[0]["created_at"] == clock.now()
    assert repo.loads(requeues[0]["data"]) == {"message_id": dead["id"]}
    assert (await client.get("/admin/outbox", headers=ADMIN)).json() == []

    # Re-queued, it goes out on the next pass.
    assert await gateway.dispatcher.run_once() == 1
    (msg,) = await _outbound(gateway)
    assert msg["status"] == "sent"
    assert len(memory.texts_to(SENDER)) >= 1

    # A message that is not dead cannot be re-queued; nor can one that does not exist.
    r = await client.post(f"/admin/outbox/{dead['id']}/requeue", headers=ADMIN)
    assert r.status_code == 404 and r.json()["detail"]
    r = await client.post("/admin/outbox/999999/requeue", headers=ADMIN)
    assert r.status_code == 404
    events = await gateway.db.read(lambda c: repo.events_for(c, dead["ticket_id"]))
    assert len([e for e in events if e["kind"] == "requeue"]) == 1


async def test_admin_disabled_without_token(tmp_path, database_url, clock, memory):
    import httpx

    from bot.gateway import Gateway
    from bot.http.app import create_app
    from tests.conftest import make_config

    cfg = make_config(tmp_path, database_url, admin={"api_token": None})
    gw = Gateway(cfg, clock=clock, database_url=database_url, adapters=[(memory, [])])
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    try:
        transport = httpx.ASGITransport(app=create_app(gw))
        async with httpx.AsyncClient(transport=transport, base_url="http://aduan.test") as c:
            for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer anything"}):
                r = await c.get("/admin/outbox", headers=headers)
                assert r.status_code == 403
                assert "disabled" in r.json()["detail"]
    finally:
        await gw.stop()


async def test_healthz_reports_a_crashed_receiver(config, database_url, clock):
    """A channel whose receiver died shows up as degraded, not silently."""
    import asyncio

    import httpx

    from adapters.partner import PartnerAdapter
    from bot.gateway import Gateway
    from bot.http.app import create_app
    from tests.memory_adapter import MemoryAdapter

    class Crashing(MemoryAdapter):
        async def run_receiver(self, sink):
            raise ConnectionError("poller lost its socket")

    gw = Gateway(config, clock=clock, database_url=database_url,
                 adapters=[(PartnerAdapter(config.channels.partner), []), (Crashing(name="crashy"), [])])
    await gw.start(dispatcher=False, receivers=True, scheduler=False)
    try:
        await asyncio.sleep(0)  # let the receiver task run and fail
        await asyncio.sleep(0)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(gw)), base_url="http://t") as c:
            body = (await c.get("/healthz", headers=ADMIN)).json()
        assert body["channels"]["crashy"]["receiver"] == "crashed: ConnectionError"
        assert body["channels"]["crashy"]["state"] == "degraded" and body["status"] == "degraded"
        assert "receiver" not in body["channels"]["partner"]  # no receiver, nothing to report
    finally:
        await gw.stop()


async def test_unparseable_webhook_is_kept_for_inspection_and_listed(client, memory, monkeypatch):
    """An adapter bug on a strange payload: the request is kept raw (202), never a 5xx, and operators see it."""
    async def broken(request):
        raise KeyError("field the adapter did not expect")

    monkeypatch.setattr(memory, "handle_webhook", broken)
    r = await client.post("/webhooks/memory", content=b'{"surprise": true}',
                          headers={"content-type": "application/json"})
    assert r.status_code == 202 and "inspection" in r.json()["detail"]
    failed = (await client.get("/admin/inbound/failed", headers=ADMIN)).json()
    assert len(failed) == 1 and failed[0]["channel"] == "memory" and "KeyError" in failed[0]["error"]
    assert (await client.get("/admin/inbound/failed")).status_code == 401


async def test_failed_inbound_is_retried_from_the_admin_api(client, gateway, monkeypatch):
    import bot.intake as intake

    real = intake.Categorizer.categorize
    monkeypatch.setattr(intake.Categorizer, "categorize", lambda self, text: (_ for _ in ()).throw(RuntimeError("x")))
    (outcome,) = await gateway.intake.submit([InboundMessage(channel="memory", external_id="f1", sender="+62811",
                                                             text="Sampah di Kel. Bangka")])
    assert outcome.action == "failed"
    assert len((await client.get("/admin/inbound/failed", headers=ADMIN)).json()) == 1
    monkeypatch.setattr(intake.Categorizer, "categorize", real)
    assert (await client.post("/admin/inbound/retry", headers=ADMIN)).json() == {"retried": 1}
    assert (await client.get("/admin/inbound/failed", headers=ADMIN)).json() == []
