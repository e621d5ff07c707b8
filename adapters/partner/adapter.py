"""The partner-app channel: geotagged apps such as JAKI or Qlue.

Partners POST reports as JSON (or multipart with a photo upload) with their
API key and an idempotency key; later notifications about their tickets are
POSTed to the partner's callback URL, signed with HMAC-SHA256, through the
outbox (so they are retried).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Callable
from urllib.parse import urlsplit

import httpx

from adapters.contract.channel import Capabilities, ChannelAdapter
from adapters.contract.media import part_bytes
from adapters.contract.errors import PermanentError, Throttled, TransientError, WebhookRejected
from adapters.contract.messages import InboundAttachment, InboundMessage, OutboundMessage, RawRequest
from adapters.fetch import FetchRefused, FetchTooLarge, SafeFetcher
from adapters.jsonbody import parse_json_object
from adapters.partner.settings import PartnerChannelConfig, PartnerConfig

log = logging.getLogger(__name__)
MAX_TEXT = 4000


@dataclass(frozen=True)
class PartnerReport:
    message: InboundMessage
    photo_url: str | None


def sign_callback(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 over ``{timestamp}.{body}``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


class PartnerAdapter(ChannelAdapter):
    name = "partner"
    capabilities = Capabilities(max_text_length=10_000, supports_photo=True, rate_per_second=20, burst=20,
                                per_recipient_per_second=10, per_recipient_burst=20, split_long_text=False)

    def __init__(
        self,
        settings: PartnerChannelConfig,
        *,
        http_client: httpx.AsyncClient | None = None,
        allow_private_hosts: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._client = http_client
        self._own_client = http_client is None
        self.allow_private_hosts = allow_private_hosts
        self.clock = clock
        self._safe_fetcher: SafeFetcher | None = None
        self._by_key = {p.api_key.get_secret_value(): p for p in settings.partners if p.api_key.get_secret_value()}
        self._by_name = {p.name: p for p in settings.partners}

    async def start(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.settings.photo_fetch_timeout_seconds)

    async def stop(self) -> None:
        if self._client is not None and self._own_client:
            await self._client.aclose()
            self._client = None

    # --- inbound -------------------------------------------------------------

    def authenticate(self, request: RawRequest) -> PartnerConfig:
        auth = request.header("authorization") or ""
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else (request.header("x-api-key") or "")
        partner = None
        for candidate_key, p in self._by_key.items():
            if key and hmac.compare_digest(candidate_key, key):
                partner = p
        if partner is None:
            raise WebhookRejected(401, "missing or invalid API key")
        return partner

    def parse_report(self, request: RawRequest) -> PartnerReport:
        """Validate a report request (after authentication) into an InboundMessage."""
        partner = self.authenticate(request)
        ctype = (request.header("content-type") or "").lower()
        upload: InboundAttachment | None = None
        if ctype.startswith("multipart/form-data"):
            fields, upload = _parse_multipart(request.body, request.header("content-type") or "")
        elif ctype.startswith("application/json") or not ctype:
            fields = parse_json_object(request.body or b"")
        else:
            raise WebhookRejected(415, "send application/json or multipart/form-data")
        text = fields.get("text", "")
        if not isinstance(text, str):
            raise WebhookRejected(400, "text must be a string")
        if len(text) > MAX_TEXT:
            raise WebhookRejected(400, f"text is longer than {MAX_TEXT} characters")
        reporter = fields.get("reporter_id")
        if not isinstance(reporter, (str, int)) or not str(reporter).strip() or len(str(reporter)) > 128:
            raise WebhookRejected(400, "reporter_id is required (string, at most 128 characters)")
        key = fields.get("idempotency_key") or request.header("idempotency-key")
        if not isinstance(key, (str, int)) or not str(key).strip() or len(str(key)) > 128:
            raise WebhookRejected(400, "idempotency_key is required (string, at most 128 characters)")
        lat, lon = _coordinate(fields.get("latitude"), -90, 90, "latitude"), _coordinate(fields.get("longitude"), -180, 180, "longitude")
        if (lat is None) != (lon is None):
            raise WebhookRejected(400, "give both latitude and longitude, or neither")
        photo_url = fields.get("photo_url")
        if photo_url is not None and (not isinstance(photo_url, str) or urlsplit(photo_url).scheme not in ("http", "https")):
            raise WebhookRejected(400, "photo_url must be an http(s) URL")
        if not text.strip() and upload is None and not photo_url:
            raise WebhookRejected(400, "a report needs text or a photo")
        language = fields.get("language")
        msg = InboundMessage(
            channel="partner",
            external_id=f"{partner.name}:{key}",
            sender=f"{partner.name}:{reporter}",
            text=text.strip(),
            latitude=lat,
            longitude=lon,
            language=language if language in ("id", "en") else None,
            attachments=[upload] if upload else [],
            standalone=True,
            reply_context={"partner": partner.name, "reporter_id": str(reporter)},
            raw=request.body.decode("utf-8", "replace") if not upload else json.dumps(fields, default=str),
        )
        return PartnerReport(msg, photo_url)

    async def fetch_photo(self, url: str, field: str = "photo_url") -> InboundAttachment:
        """Download a partner-supplied photo URL through the outbound-fetch guard."""
        try:
            got = await self._fetcher().get(url)
        except FetchTooLarge as exc:
            raise WebhookRejected(413, f"{field} {exc.reason}") from None
        except FetchRefused as exc:
            raise WebhookRejected(400, f"{field} {exc.reason}") from None
        return InboundAttachment(got.content, "application/octet-stream", url.rsplit("/", 1)[-1][:100])

    def _fetcher(self) -> SafeFetcher:
        assert self._client is not None
        if self._safe_fetcher is None or self._safe_fetcher.client is not self._client:
            self._safe_fetcher = SafeFetcher(self._client, max_bytes=self.settings.max_photo_bytes,
                                             allow_private=self.allow_private_hosts)
        return self._safe_fetcher

    # --- outbound ------------------------------------------------------------

    def can_reach(self, channel: str, recipient: str) -> bool:
        partner = self._by_name.get(recipient.split(":", 1)[0])
        return bool(partner and partner.callback_url)

    async def send(self, message: OutboundMessage) -> str:
        """POST a signed notification to the partner's callback URL."""
        assert self._client is not None
        partner_name, _, reporter_id = message.recipient.partition(":")
        partner = self._by_name.get(partner_name)
        if partner is None or not partner.callback_url:
            raise PermanentError(f"partner {partner_name!r} has no callback URL")
        body = json.dumps({
            "delivery_id": message.id,
            "event_id": event_id(message.id),
            "event": message.payload.get("event", message.kind),
            "tracking_id": message.tracking_id,
            "status": message.payload.get("status"),
            "reporter_id": reporter_id,
            "text": message.text,
            "tracking_url": message.tracking_url,
            "photo_url": message.media_url,
        }, ensure_ascii=False).encode()
        ts = str(int(self.clock()))
        secret = partner.callback_secret.get_secret_value() if partner.callback_secret else partner.api_key.get_secret_value()
        headers = {"content-type": "application/json", "x-aduan-timestamp": ts,
                   "x-aduan-signature": sign_callback(secret, ts, body), "x-aduan-delivery": str(message.id),
                   # The same on every retry of this notification: a receiver drops a repeat it has seen.
                   "x-aduan-event-id": event_id(message.id)}
        try:
            resp = await self._client.post(partner.callback_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TransientError(f"callback failed: {type(exc).__name__}") from None
        if resp.status_code == 429:
            raise Throttled("partner asked to slow down", _retry_after(resp.headers.get("retry-after")))
        if resp.status_code >= 500 or resp.status_code == 408:
            raise TransientError(f"callback answered {resp.status_code}")
        if resp.status_code >= 400:
            raise PermanentError(f"callback answered {resp.status_code}")
        return f"partner:{message.id}"

    def health(self) -> dict[str, object]:
        # Only partners that can call us (a partner with an empty key is switched off).
        return {"state": "ok", "partners": sorted(p.name for p in self._by_key.values())}


def event_id(message_id: int) -> str:
    """The stable id of one callback notification, sent in X-Aduan-Event-Id on every attempt."""
    return f"evt-{message_id}"


def _retry_after(value: str | None) -> float:
    try:
        return max(1.0, float(value or 30))
    except ValueError:
        return 30.0


def _coordinate(value: Any, low: float, high: float, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise WebhookRejected(400, f"{name} must be a number") from None
    if not low <= v <= high or v != v:
        raise WebhookRejected(400, f"{name} must be between {low} and {high}")
    return v


def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, Any], InboundAttachment | None]:
    """multipart/form-data through the stdlib MIME parser (no framework here)."""
    try:
        msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    except Exception:  # noqa: BLE001
        raise WebhookRejected(400, "malformed multipart body") from None
    if not msg.is_multipart():
        raise WebhookRejected(400, "malformed multipart body")
    fields: dict[str, Any] = {}
    upload = None
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part_bytes(part) or b""
        if part.get_filename() is not None or name == "photo":
            if name == "photo" and payload:
                upload = InboundAttachment(payload, part.get_content_type(), part.get_filename())
        else:
            fields[str(name)] = payload.decode("utf-8", "replace")
    return fields, upload
