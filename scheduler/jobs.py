"""Periodic jobs on APScheduler's AsyncIOScheduler (in the gateway's loop)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from store.outbox import reclaim_expired

if TYPE_CHECKING:
    from bot.gateway import Gateway

log = logging.getLogger(__name__)

# An SLA rule set registers here; the sweep runs every one of them.
SlaHook = Callable[["Gateway"], Awaitable[None]]


async def outbox_sweep(gw: "Gateway") -> int:
    """Requeue messages whose lease expired (their sender died) and wake the dispatcher."""
    reclaimed = await gw.db.write(reclaim_expired, gw.clock.now())
    if reclaimed:
        log.warning("reclaimed %d outbound messages with expired leases", reclaimed)
    gw.dispatcher.wake()
    return reclaimed


async def inbound_retry(gw: "Gateway") -> int:
    """Retry inbound messages that failed processing."""
    return await gw.intake.retry_failed()


DEDUP_KEEP_DAYS = 7  # Slack retries an event within minutes; a week is ample


async def prune_dedup_keys(gw: "Gateway") -> int:
    """Forget handled Slack event/file ids after a week so the table stays small."""
    from datetime import timedelta

    from bot.staff.notify import T_DEDUP

    cutoff = gw.clock.now() - timedelta(days=DEDUP_KEEP_DAYS)
    return await gw.db.write(lambda c: c.execute(T_DEDUP.delete().where(T_DEDUP.c.created_at < cutoff)).rowcount)


async def sla_sweep(gw: "Gateway") -> None:
    for hook in list(gw.sla_hooks):
        try:
            await hook(gw)
        except Exception:  # noqa: BLE001 - one rule's failure must not stop the others
            log.exception("SLA hook %r failed", hook)


def build_scheduler(gw: "Gateway") -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    common = dict(coalesce=True, max_instances=1, misfire_grace_time=30)
    scheduler.add_job(outbox_sweep, "interval", args=[gw], seconds=gw.config.outbox.sweep_interval_seconds,
                      id="outbox_sweep", **common)
    scheduler.add_job(inbound_retry, "interval", args=[gw], seconds=max(60.0, gw.config.outbox.sweep_interval_seconds),
                      id="inbound_retry", **common)
    scheduler.add_job(sla_sweep, "interval", args=[gw], seconds=gw.config.sla.sweep_interval_seconds,
                      id="sla_sweep", **common)
    scheduler.add_job(prune_dedup_keys, "interval", args=[gw], hours=6, id="prune_dedup_keys", **common)
    return scheduler
