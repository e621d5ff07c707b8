"""Periodic jobs on APScheduler's AsyncIOScheduler (in the gateway's loop).

The jobs see the gateway only through ``JobsHost``/``SweepHost`` (what they
use), so this package imports nothing of ``bot.gateway``: no import cycle.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Awaitable, Callable, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.config import AppConfig
from bot.outbox import OutboxPolicy
from bot.templates import Templates
from store.db import Database
from store.outbox import reclaim_expired
from store.stats import optimize
from store.staff import prune_dedup


class SweepHost(Protocol):
    """What the SLA sweep needs of the process it runs in."""

    config: AppConfig
    db: Database
    clock: Clock
    policy: OutboxPolicy
    templates: Templates
    resolver: Any  # bot.routing.AreaResolver
    dispatcher: Any  # has wake()


class JobsHost(SweepHost, Protocol):
    """What the periodic jobs need: the sweep's needs, intake retries and the SLA hooks."""

    intake: Any  # has retry_failed()
    sla_hooks: list[Any]
    boundary_loader: Any  # bot.area_boundaries.BoundaryLoader: has reload()

log = logging.getLogger(__name__)

# An SLA rule set registers here; the sweep runs every one of them.
SlaHook = Callable[[Any], Awaitable[Any]]


async def outbox_sweep(gw: "JobsHost") -> int:
    """Requeue messages whose lease expired (their sender died) and wake the dispatcher."""
    reclaimed = await gw.db.write(reclaim_expired, gw.clock.now())
    if reclaimed:
        log.warning("reclaimed %d outbound messages with expired leases", reclaimed)
    gw.dispatcher.wake()
    return reclaimed


async def inbound_retry(gw: "JobsHost") -> int:
    """Retry inbound messages that failed processing."""
    return await gw.intake.retry_failed()


DEDUP_KEEP_DAYS = 7  # Slack retries an event within minutes; a week is ample


async def prune_dedup_keys(gw: "JobsHost") -> int:
    """Forget handled Slack event/file ids after a week so the table stays small."""
    cutoff = gw.clock.now() - timedelta(days=DEDUP_KEEP_DAYS)
    return await gw.db.write(prune_dedup, cutoff)


STATISTICS_INTERVAL_HOURS = 1  # SQLite's advice for long-lived connections: PRAGMA optimize every few hours


async def refresh_statistics(gw: "JobsHost") -> None:
    """``PRAGMA optimize`` on SQLite; PostgreSQL: autovacuum."""
    if gw.db.sqlite:
        await gw.db.write(optimize)


async def reload_boundaries(gw: "JobsHost") -> bool:
    """Pick up polygons that ``aduan areas import`` stored since the last load."""
    return bool(await gw.boundary_loader.reload())


async def sla_sweep(gw: "JobsHost") -> None:
    for hook in list(gw.sla_hooks):
        try:
            await hook(gw)
        except Exception:  # noqa: BLE001 - one rule's failure must not stop the others
            log.exception("SLA hook %r failed", hook)


def build_scheduler(gw: "JobsHost") -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    common = dict(coalesce=True, max_instances=1, misfire_grace_time=30)
    scheduler.add_job(outbox_sweep, "interval", args=[gw], seconds=gw.config.outbox.sweep_interval_seconds,
                      id="outbox_sweep", **common)
    scheduler.add_job(inbound_retry, "interval", args=[gw], seconds=max(60.0, gw.config.outbox.sweep_interval_seconds),
                      id="inbound_retry", **common)
    scheduler.add_job(sla_sweep, "interval", args=[gw], seconds=gw.config.sla.sweep_interval_seconds,
                      id="sla_sweep", **common)
    scheduler.add_job(prune_dedup_keys, "interval", args=[gw], hours=6, id="prune_dedup_keys", **common)
    scheduler.add_job(refresh_statistics, "interval", args=[gw], hours=STATISTICS_INTERVAL_HOURS,
                      id="refresh_statistics", **common)
    scheduler.add_job(reload_boundaries, "interval", args=[gw], minutes=gw.config.routing.boundaries_reload_minutes,
                      id="reload_boundaries", **common)
    return scheduler
