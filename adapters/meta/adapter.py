"""What a Meta channel adapter does the same way on Messenger and WhatsApp Cloud: one webhook path
answering the GET handshake and signed POSTs, an HTTP client, a bounded media fetcher, counters."""
from __future__ import annotations

import logging
from typing import Any, ClassVar

import httpx

from adapters.contract.channel import ChannelAdapter
from adapters.contract.errors import WebhookRejected
from adapters.contract.messages import RawRequest, WebhookResult
from adapters.fetch import SafeFetcher
from adapters.jsonbody import parse_json_object
from adapters.meta.settings import MetaAppSettings
from adapters.meta.webhook import answer_handshake, check_signature

log = logging.getLogger(__name__)


class MetaAdapter(ChannelAdapter):
    WEBHOOK_PATH: ClassVar[str] = ""

    def __init__(self, settings: MetaAppSettings, *, http_client: httpx.AsyncClient | None,
                 allow_private_hosts: bool) -> None:
        self._meta = settings
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient()
        self._fetcher = SafeFetcher(self._http, max_bytes=settings.max_media_bytes, allow_private=allow_private_hosts)
        self.rejected_signatures = 0
        self.rejected_requests = 0
        self.media_errors = 0

    async def stop(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def handle_webhook(self, request: RawRequest) -> WebhookResult:
        try:
            body = self._verified_body(request)
            return await self.events(body) if isinstance(body, dict) else body
        except WebhookRejected as exc:
            self.rejected_requests += 1
            self.rejected_signatures += int(exc.status == 403)
            log.warning("%s webhook refused %d: %s", self.name, exc.status, exc.reason)
            raise

    def _verified_body(self, request: RawRequest) -> dict[str, Any] | WebhookResult:
        """The handshake's answer, or a POST's JSON once its size and signature are checked."""
        if request.path.rstrip("/") != self.WEBHOOK_PATH:
            raise WebhookRejected(404, f"unknown {self.name} webhook path")
        method = request.method.upper()
        if method == "GET":
            return answer_handshake(request, self._meta.verify_token.get_secret_value())
        if method != "POST":
            raise WebhookRejected(405, "Meta webhooks are GET (handshake) or POST")
        if len(request.body) > self._meta.max_body_bytes:
            raise WebhookRejected(413, "webhook body too large")
        check_signature(request, self._meta.app_secret.get_secret_value())
        return parse_json_object(request.body, what="webhook body")

    async def events(self, body: dict[str, Any]) -> WebhookResult:
        """A verified webhook body as messages and receipts."""
        raise NotImplementedError

    def health(self) -> dict[str, object]:
        return {"state": "ok", "rejected_signatures": self.rejected_signatures,
                "rejected_requests": self.rejected_requests, "media_errors": self.media_errors}
