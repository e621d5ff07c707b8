"""The Telegram channel: webhook or long polling in, Bot API out."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Message, Update

from adapters.contract.channel import Capabilities, ChannelAdapter, IntakeSink
from adapters.contract.clock import Clock
from adapters.contract.errors import WebhookRejected
from adapters.contract.messages import OutboundMessage, RawRequest, WebhookResult
from adapters.telegram.backoff import Backoff
from adapters.telegram.client import AduanBot, build_bot
from adapters.telegram.photos import PhotoFetcher
from adapters.telegram.poller import PollingReceiver
from adapters.telegram.parse import PhotoRef
from adapters.telegram.parse import photo_to_fetch as parse_photo_to_fetch
from adapters.telegram.processor import Processed, UpdateProcessor
from adapters.telegram.send import send_one, utf16_len
from adapters.telegram.settings import TelegramSettings
from adapters.telegram.webhook import RecentIds, decode_body, verify_secret

log = logging.getLogger("adapters.telegram")

StaffHandler = Callable[[Update], Awaitable[None]]

WEBHOOK_PATH = "/webhooks/telegram"

# Bot API limits: https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
TELEGRAM_CAPABILITIES = Capabilities(
    max_text_length=4096,
    supports_photo=True,
    max_photo_bytes=10 * 1024 * 1024,  # sendPhoto upload limit
    photo_caption_max=1024,
    rate_per_second=30.0,
    burst=30,
    per_recipient_per_second=1.0,
    per_recipient_burst=3,
    split_long_text=True,
    reply_buttons=True,  # inline keyboards; presses arrive as callback_query (allowed_updates)
)


class TelegramAdapter(ChannelAdapter):
    """Citizens in private chats; the staff group's updates go to ``staff_handler``."""

    name = "telegram"
    capabilities = TELEGRAM_CAPABILITIES

    def __init__(self, settings: TelegramSettings, *, sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        self.settings = settings
        self._sleep = sleep
        # Set by the staff feature; staff-group updates are dropped while None.
        self.staff_handler: StaffHandler | None = None
        self._bot: AduanBot | None = None
        self._processor: UpdateProcessor | None = None
        self._poller: PollingReceiver | None = None
        self._receiver_task: asyncio.Task[None] | None = None
        self._recent_staff = RecentIds(settings.webhook_dedup_window)
        self._started = False  # getMe (and setWebhook) succeeded
        self._username: str | None = None  # from getMe: how citizens find the bot

    @staticmethod
    def photo_to_fetch(msg: Message, max_bytes: int | None = None) -> PhotoRef | None:
        """The photo of a staff-group message to download (see parse.photo_to_fetch), for the desk."""
        return parse_photo_to_fetch(msg, max_bytes)

    def attach_staff_desk(self, desk: Any, clock: Clock) -> None:
        """Staff-group updates go to the desk (``StaffDeskHost``); the adapter keeps its own clock."""
        self.staff_handler = desk.handle_update

    # -- lifecycle -------------------------------------------------------

    def _prepare(self) -> AduanBot:
        """Build the Bot and the update processor: no network, so webhooks parse before start() succeeds.

        PTB decodes updates (``Update.de_json``) and downloads files without
        ``initialize()``; only ``bot.username`` needs getMe.
        """
        if self._bot is not None:
            return self._bot
        bot = self._bot = build_bot(self.settings)
        photos = PhotoFetcher(
            bot,
            max_bytes=self.settings.max_photo_bytes,
            attempts=self.settings.download_attempts,
            sleep=self._sleep,
            backoff=Backoff(self.settings.poll_retry_initial, self.settings.poll_retry_max),
        )
        self._processor = UpdateProcessor(bot, photos, self.settings.staff_chat_id)
        return bot

    async def start(self) -> None:
        """getMe (and setWebhook when a webhook URL is set); may be retried after a failure."""
        bot = self._prepare()
        await bot.initialize()
        if self.settings.mode == "webhook" and self.settings.webhook_url:
            await bot.set_webhook(
                url=self.settings.webhook_url,
                secret_token=self.settings.webhook_secret.get_secret_value() if self.settings.webhook_secret else None,
                allowed_updates=list(self.settings.allowed_updates),
            )
        self._started = True
        self._username = bot.username
        log.info("telegram: started as @%s (%s mode)", bot.username, self.settings.mode)

    def contact(self, channel: str) -> str | None:
        """The bot's t.me link for /lapor and the public pages (the configured name, else getMe's)."""
        name = self.settings.public_username or self._username
        return f"https://t.me/{name}" if name else None

    async def stop(self) -> None:
        """Stop the poller if it runs, close the HTTP clients."""
        task, self._receiver_task = self._receiver_task, None
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        if self._bot is not None:
            bot, self._bot, self._processor, self._started = self._bot, None, None, False
            await bot.shutdown()
            # A Bot never initialized still holds the HTTP clients it built.
            # (PTB's shutdown skips them then); closing twice is a no-op.
            await asyncio.gather(*(r.shutdown() for r in bot._request), return_exceptions=True)

    @property
    def bot(self) -> AduanBot:
        if self._bot is None:
            raise RuntimeError("TelegramAdapter.start() has not been called")
        return self._bot

    # -- receiving -------------------------------------------------------

    async def handle_webhook(self, request: RawRequest) -> WebhookResult:
        """Secret check (403), JSON check (400), then one update -> messages."""
        if request.method.upper() != "POST":
            raise WebhookRejected(405, "POST only")
        verify_secret(request, self.settings.webhook_secret)
        payload, raw = decode_body(request.body)
        if self._processor is None:
            # Not started yet: ask Telegram to come back rather than lose the update.
            return WebhookResult(status=503, reason="telegram adapter not started")
        uid = payload["update_id"]
        if uid in self._recent_staff:
            log.info("telegram: dropping repeated staff update %s", uid)
            return WebhookResult(status=200)
        processed = await self._processor.process(payload, raw)
        if processed.staff_update is not None:
            await self._dispatch_staff(processed)
        # Citizen messages are returned even for a repeated update_id: the core's
        # UNIQUE (channel, external_id) makes the repeat a no-op, and if the first
        # delivery's messages never became durable, this retry is the only copy.
        return WebhookResult(status=200, messages=processed.messages)

    async def run_receiver(self, sink: IntakeSink) -> None:
        """Long polling until cancelled; returns at once in webhook mode."""
        if self.settings.mode != "polling":
            return
        self._receiver_task = asyncio.current_task()
        self._poller = PollingReceiver(
            self.bot,
            self._processor_or_fail(),
            sink,
            self.settings,
            sleep=self._sleep,
            staff_dispatch=self._dispatch_staff,
        )
        await self._poller.run()

    def _processor_or_fail(self) -> UpdateProcessor:
        if self._processor is None:
            raise RuntimeError("TelegramAdapter.start() has not been called")
        return self._processor

    async def _dispatch_staff(self, processed: Processed) -> None:
        """Hand a staff-group update to the staff handler; its failure never stops intake."""
        update = processed.staff_update
        if update is None:
            return
        if self.staff_handler is None:
            log.debug("telegram: staff update %s dropped (no staff handler)", update.update_id)
            return
        try:
            await self.staff_handler(update)
        except Exception:
            log.exception("telegram: staff handler failed on update %s", update.update_id)
            return
        self._recent_staff.add(update.update_id)

    # -- sending ---------------------------------------------------------

    async def send(self, message: OutboundMessage) -> str:
        """One sendMessage or sendPhoto; typed errors only."""
        caps = self.capabilities_for(message.channel)
        return await send_one(self.bot, message, caption_max=caps.photo_caption_max, max_photo_bytes=caps.max_photo_bytes)

    def text_fits(self, text: str, channel: str) -> bool:
        # Telegram counts UTF-16 code units; counting them never splits too late.
        return utf16_len(text) <= self.capabilities_for(channel).max_text_length

    def health(self) -> dict[str, object]:
        if not self._started:
            return {"state": "degraded", "mode": self.settings.mode, "reason": "Bot API not reached yet"}
        info: dict[str, object] = {"state": "ok", "mode": self.settings.mode}
        if self._poller is not None:
            info["offset"] = self._poller.offset
            if self._poller.consecutive_errors:
                info.update(state="degraded", errors=self._poller.consecutive_errors, last_error=self._poller.last_error)
        return info
