"""MessengerAdapter: a Facebook Page's conversations through the Graph API."""
from __future__ import annotations

import logging
from typing import ClassVar

import httpx

from adapters.contract.channel import Capabilities, ChannelAdapter, MessagingWindow
from adapters.contract.errors import SendError, WebhookRejected
from adapters.contract.media import sniff_image_type
from adapters.contract.messages import InboundAttachment, InboundMessage, OutboundMessage, RawRequest, WebhookResult
from adapters.fetch import FetchRefused, SafeFetcher
from adapters.jsonbody import parse_json_object
from adapters.messenger import parse
from adapters.messenger.send import TEXT_MAX, Sender
from adapters.messenger.settings import MessengerSettings
from adapters.meta.webhook import answer_handshake, check_signature

log = logging.getLogger(__name__)


class MessengerAdapter(ChannelAdapter):
    name: ClassVar[str] = "messenger"
    WEBHOOK_PATH: ClassVar[str] = "/webhooks/messenger"

    def __init__(self, settings: MessengerSettings, *, http_client: httpx.AsyncClient | None = None,
                 allow_private_hosts: bool = False) -> None:
        self.settings = settings
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient()
        self._fetcher = SafeFetcher(self._http, max_bytes=settings.max_media_bytes, allow_private=allow_private_hosts)
        self._sender = Sender(self._http, settings)
        rate = settings.messages_per_second
        self.capabilities = Capabilities(
            max_text_length=TEXT_MAX, supports_photo=True, max_photo_bytes=8 * 1024 * 1024,
            photo_caption_max=TEXT_MAX, rate_per_second=rate, burst=max(1, int(rate)),
            split_long_text=True, links_fit=True,
            window=MessagingWindow(hours=24.0, outside="tag"),
        )
        self.rejected_signatures = 0
        self.rejected_requests = 0
        self.media_errors = 0
        self.reads = 0
        self.ignored_events = 0

    def health(self) -> dict[str, object]:
        return {"state": "ok", "rejected_signatures": self.rejected_signatures,
                "rejected_requests": self.rejected_requests, "media_errors": self.media_errors,
                "reads": self.reads, "ignored_events": self.ignored_events}

    def outside_window_path(self, channel: str, kind: str, template: str | None) -> str | None:
        return self.settings.tags.get(kind)

    async def stop(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def handle_webhook(self, request: RawRequest) -> WebhookResult:
        try:
            return await self._handle(request)
        except WebhookRejected as exc:
            self.rejected_requests += 1
            if exc.status == 403:
                self.rejected_signatures += 1
            log.warning("messenger webhook refused %d: %s", exc.status, exc.reason)
            raise

    async def _handle(self, request: RawRequest) -> WebhookResult:
        if request.path.rstrip("/") != self.WEBHOOK_PATH:
            raise WebhookRejected(404, "unknown Messenger webhook path")
        method = request.method.upper()
        if method == "GET":
            return answer_handshake(request, self.settings.verify_token.get_secret_value())
        if method != "POST":
            raise WebhookRejected(405, "Messenger webhooks are GET (handshake) or POST")
        if len(request.body) > self.settings.max_body_bytes:
            raise WebhookRejected(413, "webhook body too large")
        check_signature(request, self.settings.app_secret.get_secret_value())
        parsed = parse.parse(parse_json_object(request.body, what="webhook body"), self.settings.page_id)
        self.reads += parsed.reads
        self.ignored_events += len(parsed.ignored)
        for message in parsed.messages:
            await self._fetch_images(message, parsed.image_urls.get(message.external_id, []))
        return WebhookResult(status=200, body=b"EVENT_RECEIVED", messages=parsed.messages,
                             status_updates=parsed.updates)

    async def _fetch_images(self, message: InboundMessage, urls: list[str]) -> None:
        """Download each image with a size limit; keep only bytes that really are an image."""
        errors: list[str] = list(message.reply_context.get("media_errors", []))
        for url in urls:
            try:
                fetched = await self._fetcher.get(url)
            except FetchRefused as exc:
                errors.append(f"download_failed:{type(exc).__name__}")
                continue
            kind = sniff_image_type(fetched.content)
            if kind is None:
                errors.append("unsupported_content:not_an_image")
                continue
            message.attachments.append(InboundAttachment(fetched.content, kind))
        if errors:
            self.media_errors += len(errors) - len(message.reply_context.get("media_errors", []))
            message.reply_context["media_errors"] = errors

    async def send(self, message: OutboundMessage) -> str:
        try:
            return await self._sender.send(message)
        except SendError as exc:
            log.warning("messenger send of outbox #%s failed: %s: %s", message.id, type(exc).__name__, exc)
            raise
