"""The scheduler's housekeeping jobs, driven directly on the injected clock."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.models import InboundMessage
from scheduler.jobs import build_scheduler, outbox_sweep, prune_dedup_keys


async def test_scheduler_has_the_jobs(gateway):
    scheduler = build_scheduler(gateway)
    assert {j.id for j in scheduler.get_jobs()} >= {"outbox_sweep", "inbound_retry", "sla_sweep", "prune_dedup_keys"}


async def test_prune_dedup_keys_forgets_old_ids(gateway, clock):
    from bot.staff.notify import T_DEDUP

    now = clock.now()
    await gateway.db.write(lambda c: c.execute(T_DEDUP.insert(), [
        {"key": "slack:event:old", "created_at": now - timedelta(days=8)},
        {"key": "slack:event:new", "created_at": now - timedelta(hours=1)}]))
    assert await prune_dedup_keys(gateway) == 1
    left = await gateway.db.read(lambda c: list(c.execute(select(T_DEDUP.c.key)).scalars()))
    assert left == ["slack:event:new"]


async def test_outbox_sweep_reclaims_expired_leases(gateway, memory, clock):
    from store.outbox import lease

    await gateway.intake.submit([InboundMessage(channel="memory", external_id="s1", sender="+62811",
                                                text="Sampah di Kel. Bangka")])
    now = clock.now()
    await gateway.db.write(lease, "memory", "died", now, now + timedelta(seconds=5), 10)
    assert await outbox_sweep(gateway) == 0
    clock.advance(seconds=6)
    assert await outbox_sweep(gateway) == 1
    assert await gateway.dispatcher.run_once() == 1 and len(memory.sent) == 1
