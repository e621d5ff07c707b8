"""TwilioAdapter: SMS (1708 short code, 08111272206) and WhatsApp through Twilio."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable, ClassVar, Mapping

import httpx
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.rest import Client

from adapters.contract.channel import Capabilities, ChannelAdapter, TextPolicy
from adapters.contract.errors import PermanentError, SendError, TransientError, WebhookRejected
from adapters.contract.messages import OutboundMessage, RawRequest, WebhookResult
from adapters.twilio import parse
from adapters.twilio.capabilities import sms_capabilities, whatsapp_capabilities
from adapters.twilio.gsm import fits_sms, gsm_friendly
from adapters.twilio.media import MediaFetcher
from adapters.twilio.templates import template_content
from adapters.twilio.send import create_message, make_client
from adapters.twilio.settings import WHATSAPP_PREFIX, TwilioNumber, TwilioSettings
from adapters.twilio.signature import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    FormParams,
    candidate_urls,
    check_signature,
)

log = logging.getLogger(__name__)

# Accept without an inline reply; replies go through the REST API.
# https://www.twilio.com/docs/messaging/twiml#twilios-request-to-your-application
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'


class TwilioAdapter(ChannelAdapter):
    """One Twilio account serving the "sms" and "whatsapp" channels."""

    name: ClassVar[str] = "twilio"
    INBOUND_PATH: ClassVar[str] = "/webhooks/twilio"
    STATUS_PATH: ClassVar[str] = "/webhooks/twilio/status"
    # Paths the HTTP layer must route to handle_webhook.
    WEBHOOK_PATHS: ClassVar[tuple[str, ...]] = (INBOUND_PATH, STATUS_PATH)

    def __init__(
        self,
        settings: TwilioSettings,
        *,
        public_base_url: str,
        http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.public_base_url = public_base_url.rstrip("/")
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient()
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._caps = {"sms": sms_capabilities(settings), "whatsapp": whatsapp_capabilities(settings)}
        self.capabilities = self._caps["sms"]
        self._media = MediaFetcher(
            self._http,
            api_base_url=settings.api_base_url,
            auth=(settings.account_sid, settings.auth_token.get_secret_value()),
            max_bytes=settings.max_media_bytes,
            timeout=settings.media_timeout_seconds,
            max_redirects=settings.media_max_redirects,
        )
        self._client: Client | None = None
        # Counters for /healthz: a rejected Twilio webhook is a lost message.
        self.rejected_signatures = 0
        self.rejected_requests = 0
        self.media_errors = 0
        self.auth_failed = False

    # -- contract: channels and limits ---------------------------------------

    def channels(self) -> tuple[str, ...]:
        return ("sms", "whatsapp") if self.settings.whatsapp else ("sms",)

    def capabilities_for(self, channel: str) -> Capabilities:
        try:
            return self._caps[channel]
        except KeyError:
            raise ValueError(f"TwilioAdapter does not serve channel {channel!r}") from None

    def prepare_text(self, text: str, channel: str) -> str:
        # Curly quotes, dashes... would switch an SMS to UCS-2 (70 chars a part).
        return gsm_friendly(text) if channel == "sms" else text

    def text_fits(self, text: str, channel: str) -> bool:
        if channel == "sms":
            return fits_sms(text, self.settings.max_segments)
        return len(text) <= self.capabilities_for(channel).max_text_length

    def text_policy(self, channel: str, reply_context: Mapping[str, Any] | None = None) -> TextPolicy:
        """SMS photos go as MMS only from a sender that can carry them; the core sends the link otherwise."""
        policy = super().text_policy(channel, reply_context)
        if channel == "sms" and policy.photos:
            wanted = str((reply_context or {}).get("to") or "")
            number = (self.settings.find_number(wanted) if wanted else None) or self.settings.default_number("sms")
            if number is None or not number.mms:
                policy = replace(policy, photos=False)
        return policy

    def contact(self, channel: str) -> str | None:
        numbers = [n.number for n in self.settings.numbers if channel == "sms" or n.whatsapp]
        return ", ".join(numbers) or None

    def outside_window_path(self, channel: str, kind: str, template: str | None) -> str | None:
        found = self.settings.whatsapp_template(template) if channel == "whatsapp" else None
        return found.sid_for(None) if found else None

    def health(self) -> dict[str, object]:
        state = "not_started" if self._client is None else ("auth_failed" if self.auth_failed else "ok")
        return {
            "state": state,
            "rejected_signatures": self.rejected_signatures,
            "rejected_requests": self.rejected_requests,
            "media_errors": self.media_errors,
        }

    # -- lifecycle -----------------------------------------------------------

    async def start(self) -> None:
        # twilio's AsyncTwilioHttpClient opens an aiohttp session: needs the loop.
        if self._client is None:
            self._client = make_client(self.settings)

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.http_client.close()
            self._client = None
        if self._owns_http:
            await self._http.aclose()

    # -- webhooks ------------------------------------------------------------

    async def handle_webhook(self, request: RawRequest) -> WebhookResult:
        """Inbound messages on /webhooks/twilio, status callbacks on /webhooks/twilio/status."""
        try:
            return await self._handle(request)
        except WebhookRejected as exc:
            self.rejected_requests += 1
            log.warning(
                "twilio webhook %s refused %d: %s (client %s)",
                request.path, exc.status, exc.reason, request.client_ip,
            )
            raise
        except Exception:
            # Never a 5xx: Twilio would not retry anyway, and the log keeps it.
            self.rejected_requests += 1
            log.exception("twilio webhook %s failed", request.path)
            raise WebhookRejected(400, "request could not be processed") from None

    async def _handle(self, request: RawRequest) -> WebhookResult:
        path = request.path.rstrip("/") or "/"
        if path not in (self.INBOUND_PATH, self.STATUS_PATH):
            raise WebhookRejected(404, "unknown Twilio webhook path")
        if request.method.upper() != "POST":
            raise WebhookRejected(405, "Twilio webhooks must be POST")
        params = parse.parse_form(request.body, request.header("content-type"), self.settings.max_form_bytes)
        self._verify(request, params)
        parse.check_account(params, self.settings)
        if path == self.STATUS_PATH:
            update = parse.delivery_update(params)
            return WebhookResult(status=200, status_updates=[update] if update else [])
        return await self._inbound(params, request.body.decode("utf-8"))

    def _verify(self, request: RawRequest, params: FormParams) -> None:
        """403 unless X-Twilio-Signature matches the public URL Twilio called."""
        urls = candidate_urls(self.public_base_url, request.path, request.query)
        reason = check_signature(
            self.settings,
            urls,
            params,
            request.header(SIGNATURE_HEADER),
            request.header(SIGNATURE_SETTINGS_HEADER),
        )
        if reason is not None:
            self.rejected_signatures += 1
            raise WebhookRejected(403, reason)

    async def _inbound(self, params: FormParams, raw: str) -> WebhookResult:
        """A citizen's SMS / WhatsApp message, with its photos downloaded."""
        number = parse.our_number(self.settings, parse.require(params, "To"))
        message = parse.inbound_message(params, raw, number, self._clock())
        refs = parse.media_refs(params)
        if message.channel == "whatsapp" and not number.whatsapp:
            # Twilio delivered it, so the number is on WhatsApp: keep the message.
            log.warning("WhatsApp message to %s, which is not flagged whatsapp", number.label)
        if refs:
            fetched = await self._media.fetch_all(refs, message.external_id)
            message.attachments = fetched.attachments
            if fetched.errors:
                self.media_errors += len(fetched.errors)
                message.reply_context["media_errors"] = fetched.errors
        return WebhookResult(status=200, body=EMPTY_TWIML, content_type="text/xml", messages=[message])

    # -- sending -------------------------------------------------------------

    async def send(self, message: OutboundMessage) -> str:
        """Send one SMS / WhatsApp message (text, or photo + caption); the Message SID."""
        if self._client is None:
            raise TransientError("Twilio adapter not started")
        channel = message.channel
        if channel not in self._caps:
            raise PermanentError(f"TwilioAdapter does not serve channel {channel!r}")
        number = self._sender(message)
        whatsapp = channel == "whatsapp"
        try:
            sid = await create_message(
                self._client,
                to=_address(message.recipient, whatsapp),
                from_=_address(number.number, whatsapp),
                body=message.text,
                media_url=message.media_url,
                status_callback=self.public_base_url + self.STATUS_PATH,
                default_retry_after=self.settings.default_retry_after,
                content=template_content(self.settings, message) if whatsapp and message.outside_window else None,
            )
        except SendError as exc:
            cause = exc.__cause__
            if isinstance(cause, (TwilioRestException, TwilioServiceException)) and cause.status == 401:
                self.auth_failed = True
                log.error("Twilio refused our credentials (HTTP 401): check account_sid/auth_token")
            log.warning("twilio send of outbox #%s failed: %s: %s", message.id, type(exc).__name__, exc)
            raise
        self.auth_failed = False
        return sid

    def _sender(self, message: OutboundMessage) -> TwilioNumber:
        """The number the citizen wrote to, else the channel's default sender."""
        wanted = str(message.reply_context.get("to") or "")
        number = self.settings.find_number(wanted) if wanted else None
        number = number or self.settings.default_number(message.channel)
        if number is None:
            raise PermanentError(f"no Twilio number configured for {message.channel}")
        return number


def _address(number: str, whatsapp: bool) -> str:
    """E.164 as Twilio wants it: "whatsapp:+62..." on WhatsApp."""
    bare = number[len(WHATSAPP_PREFIX):] if number.lower().startswith(WHATSAPP_PREFIX) else number
    return WHATSAPP_PREFIX + bare if whatsapp else bare
