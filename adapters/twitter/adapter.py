"""The X (Twitter) channel: mentions and DMs in, public replies and DMs out.

Privacy on a public channel: a public reply in a mention's thread carries
only ``payload["public_text"]`` (tracking ID + tracking-page link). Anything
with details goes by DM; a DM the user does not accept (``dm_refused``) falls
back to a public reply in the mention's thread: for a status update only the
tracking ID, the status word and the link, else the public text.
``message.text`` is never posted publicly.

Rate limits: a 429 raises ``Throttled(retry_after = reset - clock())`` and
the endpoint (``tweets``, ``dms`` or ``media``) stays blocked in
``throttled_until`` until that reset: further sends to it raise
``Throttled`` at once without calling X. The channel-wide budget the core
enforces comes from ``capabilities`` (``posts_per_15_minutes``).
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Awaitable, Callable

from tweepy.asynchronous import AsyncClient

from adapters.contract.channel import Capabilities, ChannelAdapter, IntakeSink
from adapters.contract.errors import PermanentError, RecipientBlocked, SendError, Throttled, WebhookRejected
from adapters.contract.messages import InboundMessage, OutboundMessage, RawRequest, WebhookResult
from adapters.contract.redact import redact
from adapters.jsonbody import parse_json_object
from adapters.twitter.failures import describe, dm_refused, to_send_error
from adapters.twitter.parsing import DM_PREFIX, dm_from_v11, tweet_from_v11
from adapters.twitter.poller import Poller
from adapters.twitter.session import API_HOST, RewritingClientSession
from adapters.twitter.settings import TwitterSettings
from adapters.twitter.signing import SIGNATURE_HEADER, crc_response_token, signature_valid
from adapters.twitter.upload import DM_IMAGE, MAX_IMAGE_BYTES, TWEET_IMAGE, MediaUploader
from adapters.twitter.weighted import fits_tweet

log = logging.getLogger("adapters.twitter")  # watched by the log-redaction filter (spec.py)

WEBHOOK_PATH = "/webhooks/twitter"
DM_MAX_CHARS = 10_000
TWEET_MAX_WEIGHTED = 280


class _DmRefused(Exception):
    """X refused a DM because the user does not accept DMs from us."""


StatusLabel = Callable[[str, "str | None"], str]


def _plain_label(status: str, language: str | None) -> str:
    return status.replace("_", " ").title()


def fit_dm(text: str, tracking_url: str | None) -> str:
    """Cut a DM over 10,000 characters, ending with the tracking link."""
    if len(text) <= DM_MAX_CHARS:
        return text
    tail = f"… {tracking_url}" if tracking_url else "…"
    return text[: DM_MAX_CHARS - len(tail)].rstrip() + tail


def refused_dm_text(message: OutboundMessage, status_label: StatusLabel) -> str:
    """The public stand-in for a refused DM: "<ID> <status word> <link>" for a
    status update, nothing else; other messages fall back to ``public_text``."""
    payload = message.payload or {}
    status = str(payload.get("status") or "")
    if status and message.tracking_id and message.tracking_url:
        return f"{message.tracking_id} {status_label(status, payload.get('language'))} {message.tracking_url}"
    return public_text(message)


def public_text(message: OutboundMessage) -> str:
    """The only text allowed in public: set by the core, else ID + link; redacted once more here."""
    text = redact(str((message.payload or {}).get("public_text") or "")).strip()
    if not text and message.tracking_id and message.tracking_url:
        text = f"{message.tracking_id} {message.tracking_url}"
    if not text:
        raise PermanentError("twitter: no public_text for a public reply")
    return text


class TwitterAdapter(ChannelAdapter):
    """X channel over tweepy 4.17 (API v2, v1.1 media upload)."""

    name = "twitter"

    def __init__(
        self,
        settings: TwitterSettings,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        status_label: StatusLabel = _plain_label,
    ) -> None:
        self.settings = settings
        self._status_label = status_label  # the templates' status words (config status_labels)
        self._clock = clock
        self._sleep = sleep
        per_second = settings.posts_per_15_minutes / (15 * 60)
        self.capabilities = Capabilities(
            max_text_length=TWEET_MAX_WEIGHTED,
            supports_photo=True,
            max_photo_bytes=MAX_IMAGE_BYTES,
            photo_caption_max=TWEET_MAX_WEIGHTED,
            rate_per_second=per_second,
            burst=min(settings.posts_per_15_minutes, 10),
            per_recipient_per_second=per_second,
            per_recipient_burst=3,
            split_long_text=False,
            links_fit=False,  # 280 weighted characters: no room for a one-time reopen link
            public_replies=True,  # a mention is answered in public with payload["public_text"]
        )
        self._client = AsyncClient(
            bearer_token=settings.bearer_token.get_secret_value() if settings.bearer_token else None,
            consumer_key=settings.consumer_key,
            consumer_secret=settings.consumer_secret.get_secret_value(),
            access_token=settings.access_token,
            access_token_secret=settings.access_token_secret.get_secret_value(),
            return_type=dict,
        )
        self._session = RewritingClientSession(
            {API_HOST: settings.api_base_url}, timeout=settings.request_timeout_seconds
        )
        self._client.session = self._session
        self._uploader = MediaUploader(settings)
        self._poller = Poller(self._client, settings, clock)
        self._throttled_until: dict[str, float] = {}

    # -- lifecycle -----------------------------------------------------------

    async def stop(self) -> None:
        await self._session.close()

    def text_fits(self, text: str, channel: str) -> bool:
        return fits_tweet(text, TWEET_MAX_WEIGHTED)

    def can_reach(self, channel: str, recipient: str) -> bool:
        """X addresses people by numeric user id only."""
        return recipient.isdigit()

    @property
    def throttled_until(self) -> dict[str, float]:
        """Epoch second until which each endpoint is rate limited."""
        now = self._clock()
        return {k: v for k, v in self._throttled_until.items() if v > now}

    def contact(self, channel: str) -> str | None:
        return f"@{self.settings.account_username}"

    def health(self) -> dict[str, object]:
        throttled = self.throttled_until
        state = "throttled" if throttled else ("degraded" if self._poller.last_error else "ok")
        return {"state": state, "throttled_until": throttled, "poll_errors": dict(self._poller.last_error)}

    # -- receiving -----------------------------------------------------------

    async def run_receiver(self, sink: IntakeSink) -> None:
        """Poll mentions and/or DMs until cancelled (returns at once if both are off)."""
        if not (self.settings.poll_mentions or self.settings.poll_dms):
            return
        while True:
            delay = await self._poller.poll_once(sink)
            await self._sleep(delay)

    async def poll_once(self, sink: IntakeSink) -> float:
        """One polling round; seconds until the next one is due."""
        return await self._poller.poll_once(sink)

    async def handle_webhook(self, request: RawRequest) -> WebhookResult:
        """Account Activity API: CRC GETs and signed event POSTs."""
        if request.path.rstrip("/") != WEBHOOK_PATH:
            raise WebhookRejected(404, "unknown path")
        if not self.settings.webhook_enabled:
            raise WebhookRejected(404, "twitter webhook disabled")
        secret = self.settings.consumer_secret.get_secret_value()
        if request.method.upper() == "GET":
            crc_token = request.query.get("crc_token")
            if not crc_token:
                raise WebhookRejected(400, "missing crc_token")
            body = json.dumps({"response_token": crc_response_token(secret, crc_token)})
            return WebhookResult(status=200, body=body.encode(), content_type="application/json")
        if request.method.upper() != "POST":
            raise WebhookRejected(405, "method not allowed")
        if not signature_valid(secret, request.body, request.header(SIGNATURE_HEADER)):
            log.warning("twitter webhook rejected: missing or invalid signature")
            raise WebhookRejected(403, "invalid signature")
        payload = parse_json_object(request.body, what="event payload")
        try:
            messages = self._events(payload)
        except Exception as exc:  # never a 5xx for a payload we cannot read
            log.warning("twitter webhook event unreadable: %s", type(exc).__name__)
            raise WebhookRejected(400, "unreadable event") from None
        return WebhookResult(status=200, messages=messages)

    def _events(self, payload: dict[str, Any]) -> list[InboundMessage]:
        s = self.settings
        for_user = str(payload.get("for_user_id") or s.account_user_id)
        if for_user != s.account_user_id:
            return []  # an event for another subscribed account
        messages: list[InboundMessage] = []
        for status in payload.get("tweet_create_events") or []:
            msg = tweet_from_v11(status, account_id=s.account_user_id, account_username=s.account_username,
                                 max_place_span=s.place_max_span_degrees)
            if msg is not None:
                messages.append(msg)
        users = payload.get("users") or {}
        for event in payload.get("direct_message_events") or []:
            msg = dm_from_v11(event, users, account_id=s.account_user_id)
            if msg is not None:
                messages.append(msg)
        return messages

    # -- sending -------------------------------------------------------------

    async def send(self, message: OutboundMessage) -> str:
        """One provider message: a public thread reply or a DM (see module doc)."""
        ctx = message.reply_context or {}
        tweet_id = str(ctx.get("tweet_id") or "") if ctx.get("via") != "dm" else ""
        if message.kind == "ack" and tweet_id:
            return await self._public_reply(message, tweet_id)
        try:
            return await self._direct_message(message)
        except _DmRefused:
            if not tweet_id:
                raise RecipientBlocked("twitter: DM refused (403) and no public thread to answer in") from None
            log.info("twitter DM refused for message %s; short public reply instead", message.id)
            return await self._public_reply(message, tweet_id, refused_dm_text(message, self._status_label))

    def _check_throttle(self, endpoint: str) -> None:
        until = self._throttled_until.get(endpoint, 0.0)
        now = self._clock()
        if until > now:
            raise Throttled(f"twitter {endpoint}: rate limited", until - now)

    def _failure(self, exc: BaseException, endpoint: str) -> SendError:
        error = to_send_error(exc, now=self._clock(), what=f"twitter {endpoint}")
        if isinstance(error, Throttled):
            self._throttled_until[endpoint] = self._clock() + error.retry_after
        log.warning("twitter %s failed: %s", endpoint, describe(exc))
        return error

    async def _upload(self, path: str, category: str) -> str:
        self._check_throttle("media")
        try:
            return await self._uploader.upload(path, category=category)
        except SendError:
            raise
        except Exception as exc:
            raise self._failure(exc, "media") from exc

    async def _direct_message(self, message: OutboundMessage) -> str:
        if not message.recipient.isdigit():
            raise PermanentError("twitter: DM recipient must be a numeric user id")
        self._check_throttle("dms")
        text = fit_dm(message.text or "", message.tracking_url)
        media_id = await self._upload(message.media_path, DM_IMAGE) if message.media_path else None
        if not text and media_id is None:
            raise PermanentError("twitter: empty DM")
        try:
            response = await self._client.create_direct_message(
                participant_id=message.recipient, text=text or None, media_id=media_id
            )
        except Exception as exc:
            if dm_refused(exc):
                log.info("twitter DM refused: %s", describe(exc))
                raise _DmRefused() from exc
            raise self._failure(exc, "dms") from exc
        try:
            return DM_PREFIX + str(response["data"]["dm_event_id"])
        except (KeyError, TypeError):
            # Sent, but no id to show for it: retrying would send it twice.
            raise PermanentError("twitter: DM sent without an event id in the answer") from None

    async def _public_reply(self, message: OutboundMessage, tweet_id: str, text: str | None = None) -> str:
        text = text if text is not None else public_text(message)
        if not fits_tweet(text, TWEET_MAX_WEIGHTED):
            raise PermanentError("twitter: public_text longer than a tweet")
        self._check_throttle("tweets")
        media_ids = None
        if self.settings.public_photos and message.media_path:
            media_ids = [await self._upload(message.media_path, TWEET_IMAGE)]
        try:
            response = await self._client.create_tweet(
                text=text, in_reply_to_tweet_id=tweet_id, media_ids=media_ids
            )
        except Exception as exc:
            raise self._failure(exc, "tweets") from exc
        try:
            return str(response["data"]["id"])
        except (KeyError, TypeError):
            raise PermanentError("twitter: tweet sent without an id in the answer") from None
