"""WhatsAppCloudAdapter: the "whatsapp" channel through Meta's Cloud API instead of Twilio."""
from __future__ import annotations

import logging
from typing import Any, ClassVar

import httpx

from adapters.contract.channel import Capabilities, MessagingWindow
from adapters.contract.errors import SendError, WebhookRejected
from adapters.contract.media import sniff_image_type
from adapters.contract.messages import InboundAttachment, InboundMessage, OutboundMessage, WebhookResult
from adapters.fetch import FetchRefused
from adapters.jsonbody import parse_json_object
from adapters.meta.adapter import MetaAdapter
from adapters.whatsapp_cloud import parse
from adapters.whatsapp_cloud.send import CAPTION_MAX, TEXT_MAX, CloudSender
from adapters.whatsapp_cloud.settings import WhatsAppCloudSettings

log = logging.getLogger(__name__)


class WhatsAppCloudAdapter(MetaAdapter):
    name: ClassVar[str] = "whatsapp_cloud"
    WEBHOOK_PATH: ClassVar[str] = "/webhooks/whatsapp"

    def __init__(self, settings: WhatsAppCloudSettings, *, http_client: httpx.AsyncClient | None = None,
                 allow_private_hosts: bool = False) -> None:
        super().__init__(settings, http_client=http_client, allow_private_hosts=allow_private_hosts)
        self.settings = settings
        self._sender = CloudSender(self._http, settings)
        rate = settings.messages_per_second
        self.capabilities = Capabilities(
            max_text_length=TEXT_MAX, supports_photo=True, max_photo_bytes=5 * 1024 * 1024,
            photo_caption_max=CAPTION_MAX, rate_per_second=rate, burst=max(1, int(rate)), split_long_text=True,
            window=MessagingWindow(hours=settings.window_hours, outside="template"),
        )

    def channels(self) -> tuple[str, ...]:
        return ("whatsapp",)

    def contact(self, channel: str) -> str | None:
        return self.settings.display_number or None

    def outside_window_path(self, channel: str, kind: str, template: str | None) -> str | None:
        found = self.settings.template(template)
        return found.name if found else None

    async def events(self, body: dict[str, Any]) -> WebhookResult:
        parsed = parse.parse(body, self.settings.phone_number_id)
        for message in parsed.messages:
            for media_id in parsed.media_ids.get(message.external_id, []):
                await self._download(message, media_id)
        return WebhookResult(status=200, body=b"OK", messages=parsed.messages, status_updates=parsed.updates)

    async def _download(self, message: InboundMessage, media_id: str) -> None:
        """Media by id: ask the Graph API for its URL, then fetch it with the token, bounded in size."""
        token = {"authorization": f"Bearer {self.settings.access_token.get_secret_value()}"}
        error = None
        try:
            info = await self._fetcher.get(self.settings.api_url(media_id), max_bytes=64 * 1024, headers=token)
            url = parse_json_object(info.content, what="media info").get("url")
            fetched = await self._fetcher.get(str(url), headers=token) if url else None
            kind = sniff_image_type(fetched.content) if fetched else None
            if fetched is None or kind is None:
                error = "unsupported_content:not_an_image"
            else:
                message.attachments.append(InboundAttachment(fetched.content, kind))
        except (FetchRefused, WebhookRejected) as exc:
            error = f"download_failed:{type(exc).__name__}"
        if error:
            self.media_errors += 1
            message.reply_context.setdefault("media_errors", []).append(error)

    async def send(self, message: OutboundMessage) -> str:
        try:
            return await self._sender.send(message)
        except SendError as exc:
            log.warning("whatsapp cloud send of outbox #%s failed: %s: %s", message.id, type(exc).__name__, exc)
            raise
