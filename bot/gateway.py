"""The composition root: one asyncio process running HTTP, receivers,
the dispatcher and the scheduler over one database."""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from adapters.contract import ChannelAdapter
from adapters.registry import Registry
from bot.categorize import Categorizer, CategoryRule
from bot.channels import always_on_specs, build_adapters, build_deps
from bot.clock import Clock, SystemClock
from bot.config import AppConfig, resolved_database_url
from bot.dispatcher import Dispatcher
from bot.events import StatusChanged
from bot.intake import IntakeRules
from bot.intake_service import IntakeService
from bot.limiter_wiring import build_limiter
from bot.outbox import OutboxPolicy, enqueue
from bot.ratelimit import SendBudget
from bot.ratings import ask_for_rating
from bot.refdata import sync_reference_data
from bot.area_boundaries import BoundaryLoader, build_index
from bot.area_boundaries import file_polygons as file_polygons_of
from bot.routing import AreaResolver, CoordinateFallback, load_areas_csv
from bot.sla import SlaRules
from bot.staff.wiring import wire_staff_events
from bot.startup import ChannelStartup, Sleep
from bot.templates import Templates
from bot.tickets import notify_of_status
from bot.window import WindowPolicy, refused_at_send
from scheduler.jobs import SlaHook, build_scheduler, refresh_statistics
from scheduler.sla import sla_hook
from store.db import Database
from store.media import MediaStore

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)


class Gateway:
    def __init__(
        self,
        config: AppConfig,
        *,
        clock: Clock | None = None,
        database_url: str | None = None,
        adapters: list[tuple[ChannelAdapter, list[str]]] | None = None,
        adapter_deps: dict[str, Any] | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.db = Database(database_url or resolved_database_url(config), timezone=config.instance.timezone,
                           pool_size=config.database.pool_size, max_overflow=config.database.max_overflow)
        self.templates = Templates(config.templates, config.status_labels, config.instance.default_language)
        self.categorizer = Categorizer(
            [CategoryRule(c.code, tuple(c.keywords), c.priority) for c in config.categories if c.code != "lainnya"],
            fallback="lainnya",
        )
        areas_csv = config.path(config.routing.areas_csv)
        self.areas = load_areas_csv(areas_csv)
        routing = config.routing
        file_polygons = file_polygons_of(config.path(routing.boundaries_geojson) if routing.boundaries_geojson else None,
                                         self.areas)
        self.resolver = AreaResolver(self.areas, build_index([], file_polygons),
                                     CoordinateFallback(routing.unplaced_area, routing.nearest_centre_max_km))
        self.boundary_loader = BoundaryLoader(self.db, self.resolver, file_polygons)
        self.registry = Registry()
        for adapter, paths in (adapters if adapters is not None else build_adapters(config, **(adapter_deps or {}))):
            self.registry.register(adapter, paths)
        for spec in always_on_specs():  # the web form: served by every gateway, also one given a list
            if spec.name not in self.registry.channels():
                self.registry.register(*spec.build(spec.settings_model(), build_deps(config)))
        from bot.web.rating_link import RatingLinks
        from bot.web.reopen import ReopenLinks

        self.policy = OutboxPolicy(self.templates, config.instance.public_base_url,
                                   config.intake.auto_replies_per_hour, self.registry.reachable,
                                   reopen_link=ReopenLinks(config).link, links_fit=self.registry.links_fit,
                                   public_replies=self.registry.public_replies, sla=SlaRules.from_config(config),
                                   windows=WindowPolicy(self.registry.window, self.registry.window_path,
                                                        lambda channel: channel in self.registry.channels()))
        # Domain events -> outbox rows, in the publisher's transaction: the citizen first, then the officers' desks.
        self.policy.events.subscribe(StatusChanged, notify_of_status(lambda: self.policy))
        # Right after the SELESAI message: the ask for a rating (bot/ratings.py).
        self.policy.events.subscribe(StatusChanged, ask_for_rating(lambda: self.policy, lambda: self.config.ratings,
                                                                   RatingLinks(config).link,
                                                                   self.registry.reply_buttons))
        self.officer_alerts = wire_staff_events(self.policy.events, config, self.templates)
        # Start-up retries sleep through this (tests inject a fake).
        self.startup = ChannelStartup(self.registry.adapters, config.startup, sleep=sleep or asyncio.sleep)
        self.media = MediaStore(config.path(config.media.dir), config.media.max_bytes, config.media.max_pixels)
        rules = IntakeRules(config, self.policy, self.categorizer, self.resolver,
                            {c.code: c for c in config.categories})
        # Send budgets and per-client limits, shared by every process (Redis, PostgreSQL or memory).
        self.limiter = build_limiter(config, self.db)
        self.dispatcher = Dispatcher(self.db, self.registry, self.media, self.templates, self.clock, config.outbox,
                                     config.instance.public_base_url,
                                     budget=SendBudget(self.limiter, config.outbox.budget_overrides()),
                                     on_window_refused=self._window_refused)
        self.intake = IntakeService(self.db, rules, self.media, self.clock, max_batch=config.intake.group_commit_max,
                                    on_outbox=self.dispatcher.wake)
        # The staff side: Slack and Telegram-group commands, ticket threads, proof photos.
        from bot.staff.service import StaffService

        self.staff = StaffService(self, allow_private_hosts=bool((adapter_deps or {}).get("allow_private_hosts")))
        self.sla_hooks: list[SlaHook] = []
        self.sla_hooks.append(sla_hook(self))  # SLA warnings and escalations
        self.scheduler: AsyncIOScheduler | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._receivers: list[asyncio.Task[Any]] = []
        self._receiver_crashed: dict[str, str] = {}
        self.started = False

    def adapter(self, channel: str) -> ChannelAdapter:
        return self.registry.adapter_for(channel)

    async def _window_refused(self, message_id: int) -> None:
        """A provider refused a send as outside its messaging window: reach the citizen elsewhere, tell the officers."""
        now = self.clock.now()
        await self.db.write(lambda conn: refused_at_send(conn, self.policy.windows, now, enqueue, message_id,
                                                         reachable=self.registry.reachable, events=self.policy.events))
        self.dispatcher.wake()

    async def start(self, *, dispatcher: bool = True, receivers: bool = True, scheduler: bool = True) -> None:
        await self.db.write(sync_reference_data, self.config, self.areas, self.clock.now())
        await self.boundary_loader.reload(force=True)  # polygons stored by `aduan areas import`
        # A provider that is down never stops the process: its channel starts degraded.
        await self.startup.start_all()
        await self.intake.start()
        if dispatcher:
            self._tasks.append(asyncio.create_task(self.dispatcher.run(), name="dispatcher"))
        if receivers:
            for adapter in self.registry.adapters():
                self._receivers.append(asyncio.create_task(self._run_receiver(adapter), name=f"receiver-{adapter.name}"))
        if scheduler:
            self.scheduler = jobs = build_scheduler(self)
            jobs.start()
        self.started = True

    async def _run_receiver(self, adapter: ChannelAdapter) -> None:
        try:
            await self.startup.wait_started(adapter.name)  # e.g. polling needs the initialized bot
            await adapter.run_receiver(self.intake)
            self._receiver_crashed.pop(adapter.name, None)  # returned: this channel has no receiver
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a receiver crash is reported in /healthz
            self._receiver_crashed[adapter.name] = f"{type(exc).__name__}"
            log.exception("receiver of %s stopped", adapter.name)

    async def stop(self) -> None:
        """Graceful: stop intake at the edges, finish transactions, release leases."""
        for task in self._receivers:
            task.cancel()
        await asyncio.gather(*self._receivers, return_exceptions=True)
        await self.startup.stop()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        await self.staff.stop()
        await self.intake.stop()
        await self.dispatcher.stop()
        for task in self._tasks:
            try:
                await asyncio.wait_for(asyncio.shield(task), 10)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                task.cancel()
        await self.dispatcher.release()
        for adapter in self.registry.adapters():
            try:
                await adapter.stop()
            except Exception:  # noqa: BLE001
                log.exception("adapter %s failed to stop", adapter.name)
        await self.limiter.close()
        try:
            await refresh_statistics(self)  # PRAGMA optimize at shutdown, as SQLite advises
        except Exception:  # noqa: BLE001 - statistics never stop a shutdown
            log.warning("PRAGMA optimize at shutdown failed", exc_info=True)
        await self.db.close()
        self.started = False

    async def media_public_copy(self, sha256: str, content_type: str) -> Any:
        from store.media import public_copy

        return await asyncio.to_thread(public_copy, self.media, sha256, content_type)

    def receiver_states(self) -> dict[str, str]:
        """'running' or 'crashed: <error>' for channels with a long-running receiver."""
        states = {}
        for task in self._receivers:
            name = task.get_name().removeprefix("receiver-")
            if not task.done():
                states[name] = "running"
            elif name in self._receiver_crashed:
                states[name] = f"crashed: {self._receiver_crashed[name]}"
        return states
