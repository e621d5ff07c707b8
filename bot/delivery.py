"""Deliver one leased outbox row: render it, send its parts, map what happened to an Outcome.

The error mapping lives here once for every channel: throttling pauses the
channel until the provider's retry-after; transient errors and timeouts are
retried with backoff; permanent errors fail at once with the reason; an
opted-out or blocked recipient is flagged on the reporter.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Callable

from adapters.base import ChannelAdapter, TextPolicy
from adapters.errors import OutsideWindow, PermanentError, RecipientBlocked, RecipientOptedOut, SendError, Throttled, TransientError
from adapters.registry import Registry
from bot import metrics
from bot.clock import Clock
from bot.logctx import for_ticket_row
from bot.models import OutboundMessage
from bot.ratelimit import SendBudget
from bot.render import Part, render
from bot.templates import Templates
from bot.window import outside_at_send, parts_to_send
from store import repo
from store.media import MediaStore, public_copy
from store.outbox import Outcome

log = logging.getLogger(__name__)
# A provider's retry-after of 0 still waits this long, so a lane never spins.
MIN_THROTTLE_SECONDS = 1.0


class SendTimedOut(TransientError):
    """No answer within the lane's send timeout: the provider may or may not have accepted it."""


class Delivery:
    def __init__(self, registry: Registry, media: MediaStore, templates: Templates, clock: Clock,
                 public_base_url: str, budget: SendBudget,
                 backoff: Callable[[int], float]) -> None:
        self.registry = registry
        self.media = media
        self.templates = templates
        self.clock = clock
        self.public_base_url = public_base_url.rstrip("/")
        self.budget = budget
        self.backoff = backoff
        self._paused_until: dict[str, datetime] = {}
        self.ambiguous: dict[str, int] = defaultdict(int)

    def paused(self, channel: str) -> bool:
        until = self._paused_until.get(channel)
        return until is not None and until > self.clock.now()

    @for_ticket_row  # lines logged while sending name the ticket
    async def deliver(self, row: dict[str, Any], timeout: float) -> Outcome:
        mid, channel = row["id"], row["channel"]
        if row.get("opted_out") or row.get("unreachable"):
            return Outcome(mid, "failed", error="recipient opted out or unreachable", count_attempt=False)
        if self.paused(channel):
            return Outcome(mid, "throttled", retry_at=self._paused_until[channel], count_attempt=False,
                           parts_sent=row["parts_sent"])
        payload = repo.loads(row["payload"]) or {}
        ids = list(payload.get("part_ids", []))[: row["parts_sent"]]
        try:
            adapter = self.registry.adapter_for(channel)
            base, parts = await self._render(adapter, row, payload)
            done = row["parts_sent"]
            for i in range(done, len(parts)):
                ids.append(await self._send_part(adapter, base, parts[i], timeout))
                done = i + 1
            metrics.sent(channel)
            return Outcome(mid, "sent", ids, done)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an outcome; an adapter bug too
            return self._failed(row, exc, ids, len(ids))

    async def _render(self, adapter: ChannelAdapter, row: dict[str, Any],
                      payload: dict[str, Any]) -> tuple[OutboundMessage, list[Part]]:
        channel = row["channel"]
        context = repo.loads(row["reply_context"]) or {}
        policy: TextPolicy = adapter.text_policy(channel, context)
        tracking_url = f"{self.public_base_url}/t/{row['tracking_id']}" if row["tracking_id"] else self.public_base_url
        photo_path = None
        if row.get("att_sha") and policy.photos:
            try:
                # The copy without EXIF/XMP: a photo sent out never carries its GPS location.
                photo_path = str(await asyncio.to_thread(public_copy, self.media, row["att_sha"], row["att_type"]))
            except Exception:  # noqa: BLE001 - missing/broken file: send the link instead
                log.exception("outbox #%s: no public copy of its photo; sending the link", row["id"])
        if row.get("att_sha") and photo_path is None:
            policy = replace(policy, photos=False)
        link_line = self.templates.render("photo_link", payload.get("language"), url=tracking_url)
        parts = render(row["text"], policy, tracking_id=row["tracking_id"], tracking_url=tracking_url,
                       has_photo=bool(row.get("att_sha")), photo_link_line=link_line)
        base = OutboundMessage(
            id=row["id"], channel=channel, recipient=row["recipient"] or "", text="", tracking_id=row["tracking_id"],
            tracking_url=tracking_url, reply_context=context, kind=row["kind"], payload=payload,
            media_path=photo_path, media_url=f"{self.public_base_url}/media/{row['att_sha']}" if photo_path else None,
            media_content_type=row["att_type"] if photo_path else None,
            outside_window=outside_at_send(adapter.capabilities_for(channel).window, payload, self.clock.now()),
        )
        return base, parts_to_send(parts, adapter.capabilities_for(channel).window, base.outside_window)

    async def _send_part(self, adapter: ChannelAdapter, base: OutboundMessage, part: Part, timeout: float) -> str:
        await self.budget.acquire(base.channel, base.recipient, adapter.capabilities_for(base.channel))
        msg = OutboundMessage(**{**base.__dict__, "text": part.text,
                                 "media_path": base.media_path if part.with_photo else None,
                                 "media_url": base.media_url if part.with_photo else None,
                                 "media_content_type": base.media_content_type if part.with_photo else None})
        try:
            return await asyncio.wait_for(adapter.send(msg), timeout)
        except asyncio.TimeoutError:
            self.ambiguous[base.channel] += 1
            raise SendTimedOut(f"no answer within {timeout:g}s (the provider may have accepted it)") from None

    def _failed(self, row: dict[str, Any], exc: Exception, ids: list[str], done: int) -> Outcome:
        """The one place where a send error becomes an outcome."""
        mid, channel = row["id"], row["channel"]
        metrics.send_failed(channel, exc)
        if isinstance(exc, Throttled):
            wait = max(MIN_THROTTLE_SECONDS, exc.retry_after)
            retry_at = self.clock.now() + timedelta(seconds=wait)
            self._paused_until[channel] = retry_at
            log.warning("%s throttled for %.1fs", channel, wait)
            return Outcome(mid, "throttled", ids, done, str(exc), retry_at, count_attempt=False)
        if isinstance(exc, RecipientOptedOut):
            return Outcome(mid, "failed", ids, done, f"opted out: {exc}", reporter_flags={"opted_out": True})
        if isinstance(exc, RecipientBlocked):
            return Outcome(mid, "failed", ids, done, f"blocked: {exc}",
                           reporter_flags={"unreachable": True, "unreachable_reason": f"{channel}: {exc}"[:200]})
        if isinstance(exc, OutsideWindow):  # bot/window.py: the citizen can reopen it by writing again
            return Outcome(mid, "failed", ids, done, f"outside messaging window: {exc}", window_refused=True)
        if isinstance(exc, PermanentError):
            return Outcome(mid, "failed", ids, done, f"permanent: {exc}")
        retry_at = self.clock.now() + timedelta(seconds=self.backoff(row["attempts"]))
        if isinstance(exc, (TransientError, SendError)):
            return Outcome(mid, "retry", ids, done, f"transient: {exc}", retry_at)
        log.error("adapter %s raised unexpectedly: %s", channel, type(exc).__name__, exc_info=exc)
        return Outcome(mid, "retry", ids, done, f"{type(exc).__name__}: {exc}", retry_at)
