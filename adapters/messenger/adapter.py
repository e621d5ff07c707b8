"""MessengerAdapter: a Facebook Page's conversations through the Graph API."""
from __future__ import annotations

import logging
from typing import Any, ClassVar

import httpx

from adapters.contract.channel import Capabilities, MessagingWindow
from adapters.contract.errors import SendError
from adapters.contract.media import sniff_image_type
from adapters.contract.messages import InboundAttachment, InboundMessage, OutboundMessage, WebhookResult
from adapters.fetch import FetchRefused
from adapters.messenger import parse
from adapters.messenger.send import TEXT_MAX, Sender
from adapters.messenger.settings import MessengerSettings
from adapters.meta.adapter import MetaAdapter

log = logging.getLogger(__name__)


class MessengerAdapter(MetaAdapter):
    name: ClassVar[str] = "messenger"
    WEBHOOK_PATH: ClassVar[str] = "/webhooks/messenger"

    def __init__(self, settings: MessengerSettings, *, http_client: httpx.AsyncClient | None = None,
                 allow_private_hosts: bool = False) -> None:
        super().__init__(settings, http_client=http_client, allow_private_hosts=allow_private_hosts)
        self.settings = settings
        self._sender = Sender(self._http, settings)
        rate = settings.messages_per_second
        self.capabilities = Capabilities(
            max_text_length=TEXT_MAX, supports_photo=True, max_photo_bytes=8 * 1024 * 1024,
            photo_caption_max=TEXT_MAX, rate_per_second=rate, burst=max(1, int(rate)),
            split_long_text=True, links_fit=True, reply_buttons=True,
            window=MessagingWindow(hours=24.0, outside="tag"),
        )
        self.reads = 0
        self.ignored_events = 0

    def contact(self, channel: str) -> str | None:
        return self.settings.page_url or None

    def outside_window_path(self, channel: str, kind: str, template: str | None) -> str | None:
        return self.settings.tags.get(kind)

    def health(self) -> dict[str, object]:
        return {**super().health(), "reads": self.reads, "ignored_events": self.ignored_events}

    async def events(self, body: dict[str, Any]) -> WebhookResult:
        parsed = parse.parse(body, self.settings.page_id)
        self.reads += parsed.reads
        self.ignored_events += len(parsed.ignored)
        for message in parsed.messages:
            await self._fetch_images(message, parsed.image_urls.get(message.external_id, []))
        return WebhookResult(status=200, body=b"EVENT_RECEIVED", messages=parsed.messages,
                             status_updates=parsed.updates)

    async def _fetch_images(self, message: InboundMessage, urls: list[str]) -> None:
        """Download each image with a size limit; keep only bytes that really are an image."""
        for url in urls:
            try:
                fetched = await self._fetcher.get(url)
                kind = sniff_image_type(fetched.content)
                error = None if kind else "unsupported_content:not_an_image"
            except FetchRefused as exc:
                error = f"download_failed:{type(exc).__name__}"
            if error:
                self.media_errors += 1
                message.reply_context.setdefault("media_errors", []).append(error)
            else:
                message.attachments.append(InboundAttachment(fetched.content, str(kind)))

    async def send(self, message: OutboundMessage) -> str:
        try:
            return await self._sender.send(message)
        except SendError as exc:
            log.warning("messenger send of outbox #%s failed: %s: %s", message.id, type(exc).__name__, exc)
            raise
