"""The outbox dispatcher: lease queued messages, send them, record outcomes.

Leases make it safe to run several gateway processes on one PostgreSQL
database (FOR UPDATE SKIP LOCKED: no message is leased twice) and let a
message leased by a process that died be retried when its lease expires.
Retries use exponential backoff with jitter; after ``max_attempts`` a
message is dead-lettered, where staff can see and re-queue it.
"""
from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import Connection, and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from adapters.errors import PermanentError, RecipientBlocked, RecipientOptedOut, SendError, Throttled, TransientError
from adapters.registry import Registry
from adapters.textlimits import shorten_to_fit, split_to_fit
from bot.clock import Clock
from bot.config import OutboxConfig
from bot.models import OutboundMessage
from bot.ratelimit import SendBudget
from bot.templates import Templates
from store import repo
from store.db import Database
from store.media import MediaStore, public_copy

log = logging.getLogger(__name__)
M = repo.T_MESSAGE


@dataclass
class SendOutcome:
    message_id: int
    status: str  # sent | retry | throttled | failed | dead
    external_ids: list[str] = field(default_factory=list)
    parts_sent: int = 0
    error: str | None = None
    retry_at: datetime | None = None
    count_attempt: bool = True
    reporter_flags: dict[str, Any] = field(default_factory=dict)


def _lease(conn: Connection, owner: str, now: datetime, until: datetime, limit: int,
           channels: list[str], paused: list[str]) -> list[dict[str, Any]]:
    q = (
        select(M.c.id)
        .where(
            M.c.direction == "out",
            M.c.channel.in_(channels),
            or_(and_(M.c.status == "queued", M.c.next_attempt_at <= now),
                and_(M.c.status == "sending", M.c.lease_until < now)),
        )
        .order_by(M.c.id)
        .limit(limit)
    )
    if paused:
        q = q.where(M.c.channel.not_in(paused))
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    ids = list(conn.execute(q).scalars())
    if not ids:
        return []
    conn.execute(update(M).where(M.c.id.in_(ids)).values(status="sending", lease_owner=owner, lease_until=until))
    T, A, R = repo.T_TICKET, repo.T_ATTACHMENT, repo.T_REPORTER
    rows = conn.execute(
        select(M, T.c.tracking_id, A.c.sha256.label("att_sha"), A.c.content_type.label("att_type"),
               R.c.opted_out, R.c.unreachable)
        .select_from(M.outerjoin(T, T.c.id == M.c.ticket_id).outerjoin(A, A.c.id == M.c.attachment_id)
                     .outerjoin(R, R.c.id == M.c.reporter_id))
        .where(M.c.id.in_(ids))
        .order_by(M.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def _record(conn: Connection, outcomes: list[SendOutcome], owner: str, now: datetime, max_attempts: int) -> None:
    for o in outcomes:
        row = conn.execute(select(M.c.attempts, M.c.reporter_id, M.c.payload, M.c.lease_owner)
                           .where(M.c.id == o.message_id)).mappings().first()
        if row is None or row["lease_owner"] != owner:
            continue  # our lease expired and another process took it over
        attempts = row["attempts"] + (1 if o.count_attempt else 0)
        values: dict[str, Any] = dict(attempts=attempts, lease_owner=None, lease_until=None, updated_at=now,
                                      parts_sent=o.parts_sent, error=o.error)
        if o.status == "sent":
            payload = repo.loads(row["payload"]) or {}
            if len(o.external_ids) > 1:
                payload["part_ids"] = o.external_ids
            values.update(status="sent", sent_at=now, external_id=o.external_ids[0] if o.external_ids else None,
                          payload=repo.dumps(payload))
        elif o.status in ("retry", "throttled"):
            if o.status == "retry" and attempts >= max_attempts:
                values.update(status="dead")
            else:
                values.update(status="queued", next_attempt_at=o.retry_at)
        else:
            values.update(status=o.status)
        try:
            with conn.begin_nested():
                conn.execute(update(M).where(M.c.id == o.message_id).values(**values))
        except IntegrityError:
            # A provider id that is not unique channel-wide must not lose the
            # outcome (the message was sent): keep it without the external id.
            log.error("%s returned a duplicate provider id %r", o.status, values.get("external_id"))
            values["external_id"] = None
            conn.execute(update(M).where(M.c.id == o.message_id).values(**values))
        if o.reporter_flags and row["reporter_id"]:
            repo.update_reporter(conn, row["reporter_id"], now, **o.reporter_flags)


def _release(conn: Connection, owner: str, ids: list[int]) -> None:
    if ids:
        conn.execute(update(M).where(M.c.id.in_(ids), M.c.lease_owner == owner, M.c.status == "sending")
                     .values(status="queued", lease_owner=None, lease_until=None))


def requeue(conn: Connection, message_id: int, now: datetime) -> bool:
    """Put a dead or failed outbound message back in the queue (staff action)."""
    res = conn.execute(
        update(M).where(M.c.id == message_id, M.c.direction == "out", M.c.status.in_(["dead", "failed"]))
        .values(status="queued", attempts=0, next_attempt_at=now, lease_owner=None, lease_until=None, updated_at=now)
    )
    return res.rowcount == 1


def reclaim_expired(conn: Connection, now: datetime) -> int:
    """Requeue messages whose sender died holding the lease."""
    res = conn.execute(
        update(M).where(M.c.direction == "out", M.c.status == "sending", M.c.lease_until < now)
        .values(status="queued", lease_owner=None, lease_until=None, next_attempt_at=now)
    )
    return res.rowcount


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
    ) -> None:
        self.db = db
        self.registry = registry
        self.media = media
        self.templates = templates
        self.clock = clock
        self.config = config
        self.public_base_url = public_base_url.rstrip("/")
        self.owner = f"{uuid.uuid4().hex[:12]}"
        self.rng = rng
        self.budget = budget or SendBudget()
        self._wake = asyncio.Event()
        self._stopping = False
        self._paused_until: dict[str, datetime] = {}
        self._inflight: list[int] = []
        self.sent_count = 0
        self._failure_streaks: dict[str, int] = {}

    def failure_streaks(self) -> dict[str, int]:
        """Consecutive failed send attempts per channel, reset by a success (for /healthz)."""
        return dict(self._failure_streaks)

    def _count(self, channel: str, outcome: SendOutcome) -> SendOutcome:
        self._failure_streaks[channel] = 0 if outcome.status == "sent" else self._failure_streaks.get(channel, 0) + 1
        return outcome

    def wake(self) -> None:
        self._wake.set()

    def backoff(self, attempts: int) -> float:
        """Exponential backoff with jitter (half fixed, half random)."""
        base = min(self.config.backoff_max_seconds, self.config.backoff_base_seconds * (2 ** max(0, attempts)))
        return base / 2 + self.rng() * base / 2

    def _paused(self, now: datetime) -> list[str]:
        return [ch for ch, until in self._paused_until.items() if until > now]

    async def run_once(self) -> int:
        """Lease one batch and send it; returns how many messages were leased."""
        now = self.clock.now()
        until = now + timedelta(seconds=self.config.lease_seconds)
        rows = await self.db.write(_lease, self.owner, now, until, self.config.batch_size,
                                   list(self.registry.channels()), self._paused(now))
        if not rows:
            return 0
        self._inflight = [r["id"] for r in rows]
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            groups[(r["channel"], r["recipient"] or "")].append(r)

        async def send_group(items: list[dict[str, Any]]) -> list[SendOutcome]:
            # One recipient's messages go in order; recipients go in parallel.
            return [self._count(r["channel"], await self._deliver(r)) for r in items]

        results = await asyncio.gather(*(send_group(g) for g in groups.values()))
        outcomes = [o for group in results for o in group]
        await self.db.write(_record, outcomes, self.owner, self.clock.now(), self.config.max_attempts)
        self._inflight = []
        self.sent_count += sum(1 for o in outcomes if o.status == "sent")
        return len(rows)

    async def _deliver(self, row: dict[str, Any]) -> SendOutcome:
        mid, channel = row["id"], row["channel"]
        now = self.clock.now()
        if row.get("opted_out") or row.get("unreachable"):
            return SendOutcome(mid, "failed", error="recipient opted out or unreachable", count_attempt=False)
        paused = self._paused_until.get(channel)
        if paused and paused > now:
            return SendOutcome(mid, "throttled", retry_at=paused, count_attempt=False, parts_sent=row["parts_sent"])
        adapter = self.registry.adapter_for(channel)
        caps = adapter.capabilities_for(channel)
        tracking_url = f"{self.public_base_url}/t/{row['tracking_id']}" if row["tracking_id"] else self.public_base_url
        media_path = media_url = media_type = None
        text = adapter.prepare_text(row["text"], channel)
        if row.get("att_sha"):
            media_type = row["att_type"]
            media_url = f"{self.public_base_url}/media/{row['att_sha']}"
            if caps.supports_photo:
                try:
                    # The copy without EXIF/XMP: a photo sent out never carries its GPS location.
                    media_path = str(await asyncio.to_thread(public_copy, self.media, row["att_sha"], media_type))
                except Exception:  # noqa: BLE001 - missing/broken file: send the link instead
                    log.exception("outbox #%s: no public copy of its photo; sending the link", mid)
                    caps = replace(caps, supports_photo=False)
            if not caps.supports_photo:
                # Fallback once, in the core: a channel without photos gets the tracking page link.
                lang = (repo.loads(row["payload"]) or {}).get("language")
                text = f"{text}\n{self.templates.render('photo_link', lang, url=tracking_url)}"
                media_path = media_url = media_type = None

        def fits(t: str) -> bool:
            return adapter.text_fits(t, channel)

        if fits(text):
            parts = [text]
        elif caps.split_long_text:
            parts = split_to_fit(text, fits)
        else:
            parts = [shorten_to_fit(text, fits, tracking_url)]
        if media_path and len(parts[-1]) > caps.photo_caption_max:
            parts.append(row["tracking_id"] or "")  # the photo goes last with a short caption
        base = OutboundMessage(
            id=mid, channel=channel, recipient=row["recipient"] or "", text="", tracking_id=row["tracking_id"],
            tracking_url=tracking_url, reply_context=repo.loads(row["reply_context"]) or {}, kind=row["kind"],
            payload=repo.loads(row["payload"]) or {},
        )
        ids = list((repo.loads(row["payload"]) or {}).get("part_ids", []))[: row["parts_sent"]]
        done = row["parts_sent"]
        try:
            for i in range(done, len(parts)):
                last = i == len(parts) - 1
                await self.budget.acquire(channel, base.recipient, caps)
                msg = OutboundMessage(**{**base.__dict__, "text": parts[i],
                                         "media_path": media_path if last else None,
                                         "media_url": media_url if last else None,
                                         "media_content_type": media_type if last else None})
                ids.append(await adapter.send(msg))
                done = i + 1
            return SendOutcome(mid, "sent", ids, done)
        except Throttled as exc:
            retry_at = self.clock.now() + timedelta(seconds=max(0.0, exc.retry_after))
            self._paused_until[channel] = retry_at
            log.warning("%s throttled for %.1fs", channel, exc.retry_after)
            return SendOutcome(mid, "throttled", ids, done, str(exc), retry_at, count_attempt=False)
        except RecipientOptedOut as exc:
            return SendOutcome(mid, "failed", ids, done, f"opted out: {exc}", reporter_flags={"opted_out": True})
        except RecipientBlocked as exc:
            return SendOutcome(mid, "failed", ids, done, f"blocked: {exc}",
                               reporter_flags={"unreachable": True, "unreachable_reason": f"{channel}: {exc}"[:200]})
        except PermanentError as exc:
            return SendOutcome(mid, "failed", ids, done, f"permanent: {exc}")
        except (TransientError, SendError) as exc:
            delay = self.backoff(row["attempts"])
            return SendOutcome(mid, "retry", ids, done, f"transient: {exc}", self.clock.now() + timedelta(seconds=delay))
        except Exception as exc:  # noqa: BLE001 - an adapter bug must not kill the dispatcher
            log.exception("adapter %s raised unexpectedly", channel)
            delay = self.backoff(row["attempts"])
            return SendOutcome(mid, "retry", ids, done, f"{type(exc).__name__}: {exc}",
                               self.clock.now() + timedelta(seconds=delay))

    async def run(self) -> None:
        """Send until stopped; wakes on new outbox rows or every poll interval."""
        while not self._stopping:
            try:
                n = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - e.g. database briefly down
                log.exception("dispatcher pass failed")
                n = 0
            if n == 0 and not self._stopping:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.config.poll_interval_seconds)
                except asyncio.TimeoutError:
                    pass

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def release(self) -> None:
        """Give back leases we hold (graceful shutdown)."""
        if self._inflight:
            await self.db.write(_release, self.owner, self._inflight)
            self._inflight = []
