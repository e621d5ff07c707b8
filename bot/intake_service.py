"""Intake as the adapters see it: durable ``submit`` with group commit.

Concurrent messages share one transaction and one fsync: a single writer
task drains the queue into a batch, runs each message in its own SAVEPOINT
(so one bad message cannot spoil its neighbours) and commits once; every
caller is answered only after that commit. A message whose processing
raises is rolled back to its savepoint and kept raw with the error, for
retry and inspection: nothing a citizen sent is dropped.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import Connection

from bot import duplicates, metrics
from bot.clock import Clock
from bot.edge_text import raw_bytes, readable_raw, scrub_inbound, storable_raw, valid_text, valid_value
from bot.intake import (
    IntakeOutcome,
    IntakeRules,
    PreparedInbound,
    forget_prefetched,
    mark_processed,
    normalized_json,
    prefetch,
    process_inbound,
)
from bot.duplicate_candidates import KeptCandidates
from bot.duplicate_lookups import DuplicateLookups, link_committed
from bot.models import DeliveryUpdate, InboundAttachment, InboundMessage
from store import figures, inbound, repo, writebehind
from store.db import Database
from store.media import MediaRejected, MediaStore, StoredMedia

log = logging.getLogger(__name__)


UNPARSED_PREFIX = "unparsed:"  # external id of a body no adapter could parse


def record_failure(conn: Connection, item: PreparedInbound, error: str, now: datetime,
                   kind: str = "report", payload: dict[str, Any] | None = None) -> int | None:
    """Keep a message that could not be processed; every value is made storable first,
    and the raw body goes in as base64, so this write cannot fail on the message's text."""
    msg = item.msg
    return inbound.insert_failed(
        conn,
        dict(channel=msg.channel, direction="in", external_id=valid_text(msg.external_id), kind=kind,
             text=valid_text(msg.text or ""), status="failed", error=valid_text(error)[:4000],
             raw=storable_raw(item.raw_body if item.raw_body is not None else msg.raw),
             payload=repo.dumps(valid_value(normalized_json(item) if payload is None else payload)),
             reply_context=repo.dumps(valid_value(msg.reply_context)), created_at=now, updated_at=now),
    )


class _RetryIndividually(Exception):
    pass


Processed = tuple[list[IntakeOutcome], list[duplicates.Queued]]


def _process_batch(conn: Connection, items: list[PreparedInbound], rules: IntakeRules, now: datetime,
                   earlier: list[duplicates.Queued], kept: KeptCandidates | None = None,
                   found: list[duplicates.Link] | None = None) -> Processed:
    """Process a batch in one transaction, after linking the possible duplicates of earlier groups' tickets
    (``earlier``, looked up now; ``found``, by the lookup process: bot/duplicate_lookups.py).

    Fast path: no savepoints (two statements fewer per message). If any
    message raises, the whole attempt is rolled back and the batch is redone
    with a savepoint per message, so the failure is isolated and recorded.
    Returns the outcomes and the new tickets, for their duplicate lookup with the next group.
    """
    conn.info.pop("intake_batch", None)
    link_committed(conn, earlier, kept, found)
    if len(items) > 1:
        try:
            with conn.begin_nested(), writebehind.batched(conn, len(items)):
                try:
                    # Statements batched per group (PostgreSQL pays a round trip per statement):
                    # inbound rows and reporters up front, audit events and photos write-behind,
                    # the batch's figure deltas one UPSERT per row at the end.
                    with figures.batched(conn):
                        prefetch(conn, items, now, rules.prefix)
                        outcomes = [process_inbound(conn, item, rules, now) for item in items]
                    mark_processed(conn, outcomes)
                    return outcomes, duplicates.take_queued(conn)
                except Exception as exc:
                    raise _RetryIndividually() from exc
                finally:
                    forget_prefetched(conn)
        except _RetryIndividually:
            log.warning("a message in a batch of %d failed; redoing the batch one by one", len(items))
    return _process_each(conn, items, rules, now)


def _process_each(conn: Connection, items: list[PreparedInbound], rules: IntakeRules, now: datetime) -> Processed:
    outcomes, queued = [], []
    for item in items:
        try:
            with conn.begin_nested():
                outcome = process_inbound(conn, item, rules, now)
                mark_processed(conn, [outcome])
                outcomes.append(outcome)
                queued += duplicates.take_queued(conn)
        except Exception as exc:  # noqa: BLE001 - any failure is kept for retry
            # The provider id can embed a chat or user id: log only a digest of it.
            digest = hashlib.sha256(item.msg.external_id.encode()).hexdigest()[:12]
            log.exception("inbound %s message %s failed; kept for retry", item.msg.channel, digest)
            with conn.begin_nested():
                mid = record_failure(conn, item, f"{type(exc).__name__}: {exc}", now)
            outcomes.append(IntakeOutcome("failed", mid, error=f"{type(exc).__name__}: {exc}"))
    return outcomes, queued


def _apply_delivery(conn: Connection, updates: list[DeliveryUpdate], now: datetime) -> int:
    changed = 0
    order = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}
    for u in updates:
        row = inbound.outbound_by_external_id(conn, u.channel, u.external_id)
        if row is None:
            continue
        status = "failed" if u.status in ("failed", "undelivered") else u.status
        # Receipts arrive out of order: never move a message backwards.
        if status != "failed" and order.get(status, 0) <= order.get(row["status"], 0):
            continue
        values: dict[str, Any] = dict(status=status, updated_at=now)
        if u.error_code:
            values["error"] = f"provider error {u.error_code}"
        inbound.update_message(conn, row["id"], **values)
        changed += 1
        if row["reporter_id"] and (u.recipient_opted_out or u.recipient_unreachable):
            flags: dict[str, Any] = {}
            if u.recipient_opted_out:
                flags["opted_out"] = True
            if u.recipient_unreachable:
                flags.update(unreachable=True, unreachable_reason=f"{u.channel} error {u.error_code or u.status}")
            repo.update_reporter(conn, row["reporter_id"], now, **flags)
    return changed


class IntakeService:
    """Implements the adapters' IntakeSink over the database."""

    def __init__(
        self,
        db: Database,
        rules: IntakeRules,
        media: MediaStore,
        clock: Clock,
        *,
        max_batch: int = 256,
        on_outbox: Callable[[], None] | None = None,
        idle_link_after: float = 0.05,
    ) -> None:
        self.db = db
        self.rules = rules
        self.media = media
        self.clock = clock
        self.max_batch = max_batch
        self.on_outbox = on_outbox or (lambda: None)
        self._queue: asyncio.Queue[tuple[PreparedInbound, asyncio.Future[IntakeOutcome]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._accepting = True
        self.batches = 0
        self.messages = 0
        # Possible duplicates (bot/duplicates.py) of a group's new tickets are looked up once it has committed and
        # its citizens are answered: in a worker process, or on the writer at the start of the next group's
        # transaction (bot/duplicate_lookups.py). Their links are written with the next group, or in a transaction
        # of their own when no group follows within ``idle_link_after`` seconds.
        self.lookups = DuplicateLookups(db, rules.config.duplicates)
        self._writing = asyncio.Lock()  # a group commit, or idle linking
        self.idle_link_after = idle_link_after

    async def start(self) -> None:
        if self.rules.config.duplicates.enabled:
            await self.lookups.start(self.clock.now())
        await self.recheck_duplicates()
        self._task = asyncio.create_task(self._run(), name="intake-writer")

    async def recheck_duplicates(self) -> None:
        """Look up the last minutes' new tickets again: the lookups a stop between a commit and its links left
        undone (bot.duplicates.recent_to_recheck)."""
        try:
            self.lookups.to_look_up += await self.db.read(duplicates.recent_to_recheck, self.rules.config.duplicates,
                                                          self.clock.now())
        except Exception:  # noqa: BLE001 - hints only: intake starts regardless
            log.exception("possible duplicates of the last minutes could not be rechecked")
        await self.settled()

    async def settled(self) -> None:
        """Wait until every committed ticket's possible duplicates are looked up and linked."""
        await self.lookups.in_flight_done()
        await self._link_ready()

    async def _link_ready(self) -> None:
        """Write the links found so far, and look up what the writer is to look up, in a transaction of their
        own."""
        async with self._writing:  # a group commit in flight carries earlier groups' lookups
            pending, found, kept = self.lookups.take()
            if pending or found:
                try:
                    await self.db.write(link_committed, pending, kept, found)
                except Exception:  # noqa: BLE001 - the database is down: keep them for the next commit
                    self.lookups.give_back(pending, found)

    async def stop(self) -> None:
        """Stop taking messages and finish everything already queued."""
        self._accepting = False
        await self._queue.join()
        await self.settled()
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self.lookups.close()

    def _store_media(self, attachments: list[InboundAttachment]) -> tuple[list[StoredMedia], list[str]]:
        """All of a message's photos durable (files and folders fsynced) before it is submitted;
        ``put_all`` syncs each folder once for several photos."""
        stored, errors = [], []
        for a, result in zip(attachments, self.media.put_all([a.content for a in attachments])):
            if isinstance(result, MediaRejected):
                # The code first: intake answers the citizen from it (e.g. photo_too_many_pixels).
                errors.append(f"photo_{result.code}: {valid_text(a.filename or 'attachment')}: {result}")
            else:
                stored.append(result)
        return stored, errors

    async def prepare(self, msg: InboundMessage) -> PreparedInbound:
        """Store photos on disk (fsynced) before the message's transaction."""
        body = raw_bytes(msg.raw)
        scrub_inbound(msg)  # valid Unicode at the edge: one bad string must not fail a group commit
        if not msg.attachments:
            return PreparedInbound(msg, raw_body=body)
        stored, errors = await asyncio.to_thread(self._store_media, msg.attachments)
        return PreparedInbound(msg, stored, errors, raw_body=body)

    async def submit(self, messages: list[InboundMessage]) -> list[IntakeOutcome]:
        """Process messages; returns once they are committed (durable)."""
        if not self._accepting:
            raise RuntimeError("intake is shutting down")
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        futures = []
        for msg in messages:
            item = await self.prepare(msg)
            fut: asyncio.Future[IntakeOutcome] = loop.create_future()
            await self._queue.put((item, fut))
            futures.append(fut)
        outcomes = list(await asyncio.gather(*futures))
        for msg, outcome in zip(messages, outcomes):
            metrics.intake_committed(msg.channel, outcome.action, time.perf_counter() - started)
        return outcomes

    async def _run(self) -> None:
        while True:
            if self.lookups.pending and self._queue.empty():
                try:  # the next group carries the lookups; when none comes, they are linked on their own
                    first = await asyncio.wait_for(self._queue.get(), self.idle_link_after)
                except TimeoutError:
                    await self._link_ready()  # what is ready; the worker's lookups in flight at the next turn
                    continue
            else:
                first = await self._queue.get()
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except asyncio.QueueEmpty:
                    break
            try:
                await self._commit(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit(self, batch: list[tuple[PreparedInbound, asyncio.Future[IntakeOutcome]]]) -> None:
        """Commit a batch; if the group commit itself fails, commit its members one by one,
        so the good messages still commit and only the bad one is kept as failed."""
        try:
            async with self._writing:
                earlier, found, kept = self.lookups.take()
                try:
                    outcomes, queued = await self.db.write(_process_batch, [b[0] for b in batch], self.rules,
                                                           self.clock.now(), earlier, kept, found)
                except Exception:
                    self.lookups.give_back(earlier, found)  # not linked: they go with the next commit
                    raise
                self.lookups.committed(queued)  # before the citizens hear back: settled() covers what they sent
        except Exception as exc:  # noqa: BLE001 - isolated below; callers see only their own error
            if len(batch) > 1:
                log.exception("group commit of %d messages failed; committing them one by one", len(batch))
                for entry in batch:
                    await self._commit([entry])
            else:
                await self._keep_failed(*batch[0], exc)
            return
        self.batches += 1
        self.messages += len(batch)
        metrics.group_committed(len(batch))
        for (_, fut), outcome in zip(batch, outcomes):
            if not fut.done():
                fut.set_result(outcome)
        self.on_outbox()

    async def _keep_failed(self, item: PreparedInbound, fut: asyncio.Future[IntakeOutcome], exc: Exception) -> None:
        """A message whose own transaction failed: keep it raw for retry, or give the caller
        the error (e.g. 503, so the provider retries) when even that cannot be written."""
        error = f"{type(exc).__name__}: {exc}"
        try:
            mid = await self.db.write(record_failure, item, error, self.clock.now())
        except Exception:  # noqa: BLE001 - the database is down: not durable, the caller must retry
            log.exception("inbound %s message could not be kept", item.msg.channel)
            if not fut.done():
                fut.set_exception(exc)
            return
        if not fut.done():
            fut.set_result(IntakeOutcome("failed", mid, error=error))

    async def record_delivery(self, updates: list[DeliveryUpdate]) -> None:
        if updates:
            await self.db.write(_apply_delivery, updates, self.clock.now())

    async def get_state(self, key: str) -> str | None:
        return await self.db.read(repo.get_state, key)

    async def set_state(self, key: str, value: str) -> None:
        await self.db.write(repo.set_state, key, value, self.clock.now())

    async def retry_failed(self, limit: int = 100) -> int:
        """Re-run failed inbound messages (kept raw with their error)."""
        rows = await self.db.read(inbound.failed_inbound, limit)
        done = 0
        for row in rows:
            if row["external_id"].startswith(UNPARSED_PREFIX):
                # Nothing to rebuild a message from: it stays failed, raw, until an operator
                # re-parses or discards it (bot/http/unparsed.py). Never a reply to "unknown".
                continue
            item = _rebuild(row["payload"], row["raw"])
            if item is None:
                continue

            def retry(conn: Connection, item: PreparedInbound = item, mid: int = row["id"]) -> IntakeOutcome | None:
                try:
                    with conn.begin_nested():
                        inbound.delete_message(conn, mid)
                        outcome = process_inbound(conn, item, self.rules, self.clock.now())
                        mark_processed(conn, [outcome])
                        duplicates.link_queued(conn)  # a retry is off the hot path: linked in its transaction
                        return outcome
                except Exception as exc:  # noqa: BLE001
                    inbound.update_message(conn, mid, error=f"{type(exc).__name__}: {exc}"[:4000],
                                           updated_at=self.clock.now())
                    return None

            if await self.db.write(retry) is not None:
                done += 1
        if done:
            self.on_outbox()
        return done


def _rebuild(payload: str | None, raw: str | None) -> PreparedInbound | None:
    from datetime import datetime as _dt
    from pathlib import Path

    data = repo.loads(payload)
    if not data:
        return None
    media = [StoredMedia(m["sha256"], m["content_type"], m["size"], Path(m["path"])) for m in data.pop("media", [])]
    errors = data.pop("media_errors", [])
    if data.get("received_at"):
        data["received_at"] = _dt.fromisoformat(data["received_at"])
    msg = InboundMessage(**{k: v for k, v in data.items() if k in InboundMessage.__dataclass_fields__}, raw=readable_raw(raw))
    return PreparedInbound(msg, media, errors)
