"""The outbox dispatcher: lanes that lease conversation heads, send, and record each outcome at once.

* **Lanes** (store/outbox.py): one per channel and one per channel's staff
  traffic, each with its own concurrency and send timeout, so a provider that
  hangs or throttles holds only its own lane.
* **Order per conversation**: only the head of a conversation is leased; the
  next message to that recipient waits until the head is sent, failed or dead.
* **Outcomes** are recorded as soon as each send ends: in a short
  transaction of their own, or together with the few others that ended while
  the previous write was on its way to disk. A crash re-sends only what was
  truly in flight (at most the sum of the lanes' concurrency), never a batch.
* **Retries** use capped exponential backoff with jitter until the message
  is ``retry_horizon_hours`` old; then it is a dead letter.

Leases make it safe to run several gateway processes on one PostgreSQL
database (FOR UPDATE SKIP LOCKED), and let a message leased by a process that
died be retried when its lease expires.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from sqlalchemy.exc import IntegrityError

from adapters.registry import Registry
from bot.config import OutboxConfig
from bot.clock import Clock
from bot.delivery import Delivery
from bot.ratelimit import SendBudget
from bot.templates import Templates
from store import outbox as store_outbox
from store.db import Database
from store.media import MediaStore
from store.outbox import Outcome, lane_channel

log = logging.getLogger(__name__)
# Outcomes after which the conversation's next message may go (sent, or given up).
_UNBLOCKING = {"sent", "failed", "dead"}
# How long an outcome write is retried while the database is away, before the
# lease runs out and another pass re-sends the message.
_RECORD_RETRY_SECONDS = (0.2, 0.5, 1, 2, 4, 8)


class OutcomeRecorder:
    """Writes outcomes as they arrive; those that arrive while a write is running share the next one.

    Under load this turns one fsync per message into one per handful, while a
    lone outcome is still written at once, never held back for a batch.
    """

    MAX_GROUP = 64

    def __init__(self, write: Callable[[list[Outcome]], Awaitable[list[str]]]) -> None:
        self._write = write
        self._pending: list[tuple[Outcome, asyncio.Future[str]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def record(self, outcome: Outcome) -> str:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._pending.append((outcome, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            group, self._pending = self._pending[: self.MAX_GROUP], self._pending[self.MAX_GROUP:]
            try:
                statuses = await self._write([o for o, _ in group])
            except Exception as exc:  # noqa: BLE001 - each caller decides how to retry
                for _, future in group:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), status in zip(group, statuses):
                if not future.done():
                    future.set_result(status)


@dataclass
class Lane:
    """One independent sending queue: its limits, what it holds, what it sent."""

    name: str
    channel: str
    concurrency: int
    send_timeout: float
    inflight: set[int] = field(default_factory=set)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    sent: int = 0
    failed: int = 0
    task: asyncio.Task[None] | None = None


class Dispatcher:
    def __init__(
        self,
        db: Database,
        registry: Registry,
        media: MediaStore,
        templates: Templates,
        clock: Clock,
        config: OutboxConfig,
        public_base_url: str,
        *,
        rng: Callable[[], float] = random.random,
        budget: SendBudget | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
        on_window_refused: Callable[[int], Awaitable[Any]] | None = None,
    ) -> None:
        # A provider refused a send as outside its messaging window: the composition root reaches the
        # citizen elsewhere and tells the officers (bot/window.py refused_at_send).
        self.on_window_refused = on_window_refused
        self.db = db
        self.registry = registry
        self.clock = clock
        self.config = config
        self.owner = f"{uuid.uuid4().hex[:12]}"
        self.rng = rng
        self.sleep = sleep
        self.delivery = Delivery(registry, media, templates, clock, public_base_url, budget or SendBudget(),
                                 self.backoff)
        self.horizon = timedelta(hours=config.retry_horizon_hours)
        self._wake = asyncio.Event()
        self._stopping = False
        self._lanes: dict[str, Lane] = {}
        self._sends: set[asyncio.Task[str]] = set()
        self._streaks: dict[str, int] = defaultdict(int)
        self.sent_count = 0
        self._last_sweep: datetime | None = None
        self.recorder = OutcomeRecorder(self._write_outcomes)

    # -- the pieces tests and health read ------------------------------------

    @property
    def budget(self) -> SendBudget:
        return self.delivery.budget

    @budget.setter
    def budget(self, value: SendBudget) -> None:
        self.delivery.budget = value

    @property
    def ambiguous(self) -> dict[str, int]:
        """Sends per channel that timed out and were retried: the provider may have accepted them."""
        return dict(self.delivery.ambiguous)

    def failure_streaks(self) -> dict[str, int]:
        """Consecutive failed send attempts per channel, reset by a success."""
        return dict(self._streaks)

    def lanes(self) -> dict[str, Lane]:
        return dict(self._lanes)

    def wake(self) -> None:
        self._wake.set()

    def backoff(self, attempts: int) -> float:
        """Exponential backoff with jitter (half fixed, half random), capped."""
        base = min(self.config.backoff_max_seconds, self.config.backoff_base_seconds * (2 ** max(0, attempts)))
        return base / 2 + self.rng() * base / 2

    def lane(self, name: str) -> Lane:
        lane = self._lanes.get(name)
        if lane is None:
            override = self.config.lanes.get(name)
            staff = name.endswith(":staff")
            default = self.config.staff_lane_concurrency if staff else self.config.lane_concurrency
            lane = self._lanes[name] = Lane(
                name, lane_channel(name),
                concurrency=(override.concurrency if override and override.concurrency else default),
                send_timeout=(override.send_timeout_seconds if override and override.send_timeout_seconds
                              else self.config.send_timeout_seconds),
            )
        return lane

    # -- one lease -> render -> send -> record --------------------------------

    async def _lease(self, lane: Lane, limit: int) -> list[dict[str, Any]]:
        if limit <= 0 or self.delivery.paused(lane.channel):
            return []
        now = self.clock.now()
        until = now + timedelta(seconds=self.config.lease_seconds)
        return await self.db.write(store_outbox.lease, lane.name, self.owner, now, until, limit)

    async def _process(self, lane: Lane, row: dict[str, Any]) -> str:
        """Send one leased row and record its outcome; returns the status recorded."""
        outcome = await self.delivery.deliver(row, lane.send_timeout)
        status = await self._record(outcome)
        if outcome.window_refused and status == "failed" and self.on_window_refused is not None:
            try:
                await self.on_window_refused(outcome.message_id)
            except Exception:  # noqa: BLE001 - the failure itself is recorded; never stop the lane
                log.exception("outbox #%s: reaching the citizen elsewhere failed", outcome.message_id)
        if outcome.status == "sent":
            self._streaks[lane.channel] = 0
            lane.sent += 1
            self.sent_count += 1
        elif outcome.status == "retry" or (outcome.status == "failed" and not outcome.reporter_flags
                                           and (outcome.error or "").startswith("permanent")):
            self._streaks[lane.channel] += 1
            lane.failed += 1
        return status

    async def _write_outcomes(self, outcomes: list[Outcome]) -> list[str]:
        args = (outcomes, self.owner, self.clock.now(), self.horizon)
        try:
            return await self.db.write(store_outbox.record, *args)
        except IntegrityError:  # a provider id already on another row (PostgreSQL): again, row by row
            return await self.db.write(store_outbox.record, *args, True)

    async def _record(self, outcome: Outcome) -> str:
        for delay in (*_RECORD_RETRY_SECONDS, None):
            try:
                return await self.recorder.record(outcome)
            except Exception:  # noqa: BLE001 - database away: retry; the lease expiring is the last resort
                if delay is None or self._stopping:
                    log.exception("outbox #%s: outcome %s not recorded", outcome.message_id, outcome.status)
                    return ""
                await self.sleep(delay)
        return ""

    # -- a deterministic step (tests, tools) ---------------------------------

    async def run_once(self) -> int:
        """Send every due conversation head, lane by lane, until only retries are left; returns rows leased."""
        now = self.clock.now()
        await self.db.write(store_outbox.reclaim_expired, now)
        total = 0
        while True:
            lanes = await self._due_lanes(now)
            results = await asyncio.gather(*(self._lane_pass(self.lane(name)) for name in lanes))
            statuses = [s for group in results for s in group]
            total += len(statuses)
            # A sent or given-up head lets its conversation's next message go; retries do not.
            if not _UNBLOCKING.intersection(statuses):
                return total

    async def _lane_pass(self, lane: Lane) -> list[str]:
        rows = await self._lease(lane, lane.concurrency)
        lane.inflight.update(r["id"] for r in rows)
        try:
            return list(await asyncio.gather(*(self._process(lane, r) for r in rows)))
        finally:
            lane.inflight.difference_update(r["id"] for r in rows)

    async def _due_lanes(self, now: datetime) -> list[str]:
        """Lanes with due rows; rows of a channel nobody serves are dead-lettered on the spot."""
        lanes = await self.db.read(store_outbox.due_lanes, now)
        served = set(self.registry.channels())
        unserved = [name for name in lanes if lane_channel(name) not in served]
        if unserved:
            n = await self.db.write(store_outbox.dead_letter_unserved, unserved, served, now)
            log.error("dead-lettered %d queued messages for channels with no adapter: %s", n, ", ".join(unserved))
        return [name for name in lanes if lane_channel(name) in served]

    # -- continuous sending ---------------------------------------------------

    async def run(self) -> None:
        """Send until stopped: a lane worker per lane, woken by new rows, finished sends or the poll."""
        while not self._stopping:
            # Cleared before the poll: a wake during it (a commit that queued rows) is not lost.
            self._wake.clear()
            timeout = self.config.poll_interval_seconds
            try:
                await self._sweep_if_due()
                due = await self._due_lanes(self.clock.now())
                for name in due:
                    self._worker(name).wake.set()
                if not due:
                    timeout = await self._idle_timeout()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - e.g. database briefly down
                log.exception("dispatcher poll failed")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except asyncio.TimeoutError:
                pass
        await self._drain()

    async def _idle_timeout(self) -> float:
        """Nothing due: sleep until the earliest queued row falls due, at most ``idle_poll_seconds``.

        A commit in this process that queues rows wakes the loop at once (``wake``); the bound
        picks up rows queued elsewhere (another process, a tool). One index probe.
        """
        ceiling = max(self.config.idle_poll_seconds, self.config.poll_interval_seconds)
        due = await self.db.read(store_outbox.next_due)
        if due is None:
            return ceiling
        until = (due - self.clock.now()).total_seconds()
        return min(ceiling, max(self.config.poll_interval_seconds, until))

    async def _sweep_if_due(self) -> None:
        now = self.clock.now()
        if self._last_sweep is None or (now - self._last_sweep).total_seconds() >= self.config.sweep_interval_seconds:
            self._last_sweep = now
            await self.db.write(store_outbox.reclaim_expired, now)

    def _worker(self, name: str) -> Lane:
        lane = self.lane(name)
        if lane.task is None or lane.task.done():
            lane.task = asyncio.create_task(self._lane_loop(lane), name=f"lane-{name}")
        return lane

    async def _lane_loop(self, lane: Lane) -> None:
        while not self._stopping:
            await lane.wake.wait()
            lane.wake.clear()
            try:
                await self._fill(lane)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - database away: the next wake tries again
                log.exception("lane %s: lease failed", lane.name)

    async def _fill(self, lane: Lane) -> None:
        """Lease heads until the lane is full or has nothing due; each send runs on its own."""
        while not self._stopping:
            free = lane.concurrency - len(lane.inflight)
            if lane.inflight and free < max(1, lane.concurrency // 2):
                return  # lease in handfuls under load: one transaction for several sends, not one each
            rows = await self._lease(lane, free)
            if not rows:
                return
            for row in rows:
                lane.inflight.add(row["id"])
                task = asyncio.create_task(self._process(lane, row), name=f"send-{row['id']}")
                self._sends.add(task)
                task.add_done_callback(functools.partial(self._sent, lane, row["id"]))

    def _sent(self, lane: Lane, message_id: int, task: asyncio.Task[Any]) -> None:
        self._sends.discard(task)
        lane.inflight.discard(message_id)
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox #%s: send task failed: %r", message_id, task.exception())
        lane.wake.set()  # a slot is free, and the conversation's next message may be due

    async def _drain(self) -> None:
        for lane in self._lanes.values():
            lane.wake.set()
        if self._sends:
            await asyncio.gather(*list(self._sends), return_exceptions=True)

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        for lane in self._lanes.values():
            lane.wake.set()

    async def release(self) -> None:
        """Give back leases we still hold (graceful shutdown after the drain timed out)."""
        for task in list(self._sends):
            task.cancel()
        held = [mid for lane in self._lanes.values() for mid in lane.inflight]
        for lane in self._lanes.values():
            if lane.task is not None:
                lane.task.cancel()
        if held:
            await self.db.write(store_outbox.release, self.owner, held)
            for lane in self._lanes.values():
                lane.inflight.clear()
