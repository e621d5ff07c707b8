"""Twilio webhook forms -> Aduan types (pure functions, no I/O).

https://www.twilio.com/docs/messaging/guides/webhook-request
https://www.twilio.com/docs/messaging/api/message-resource#twilios-request-to-the-statuscallback-url
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl

from adapters.contract.errors import WebhookRejected
from adapters.contract.messages import DeliveryUpdate, InboundMessage
from adapters.twilio.settings import WHATSAPP_PREFIX, TwilioNumber, TwilioSettings
from adapters.twilio.signature import FormParams

# Twilio accepts at most 10 media items per message.
MAX_MEDIA = 10
_SID = re.compile(r"^[A-Za-z]{2}[A-Za-z0-9]{1,62}$")
# Error codes in status callbacks.
# https://www.twilio.com/docs/api/errors
OPTED_OUT_CODES = frozenset({"21610"})
UNREACHABLE_CODES = frozenset({"21211", "21614", "30003", "30005", "30006"})
# Twilio's MessageStatus -> DeliveryUpdate.status. States before sending
# (queued, accepted, scheduled, sending) say nothing send() did not.
STATUS_MAP = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "undelivered",
    "canceled": "failed",
    "partially_delivered": "delivered",
}


@dataclass(frozen=True)
class MediaRef:
    """One MediaUrlN / MediaContentTypeN pair of an inbound message."""

    index: int
    url: str
    content_type: str


def parse_form(body: bytes, content_type: str | None, max_bytes: int) -> FormParams:
    """Decode an application/x-www-form-urlencoded body; anything not UTF-8 is a 400."""
    if content_type and "application/x-www-form-urlencoded" not in content_type.lower():
        raise WebhookRejected(415, "expected application/x-www-form-urlencoded")
    if len(body) > max_bytes:
        raise WebhookRejected(413, "form body too large")
    try:
        text = body.decode("utf-8")
        # Not strict_parsing: a stray "&" must not cost a citizen's message.
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected(400, "body is not UTF-8 form data") from None
    params = FormParams()
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def require(params: FormParams, name: str) -> str:
    """A required, non-empty field, or 400."""
    value = (params.first(name) or "").strip()
    if not value:
        raise WebhookRejected(400, f"missing {name}")
    return value


def check_account(params: FormParams, settings: TwilioSettings) -> None:
    """Refuse forms of another account, e.g. a subaccount pointed at our URL."""
    if require(params, "AccountSid") != settings.account_sid:
        raise WebhookRejected(403, "AccountSid does not match")


def message_sid(params: FormParams) -> str:
    sid = require(params, "MessageSid")
    if not _SID.match(sid):
        raise WebhookRejected(400, "malformed MessageSid")
    return sid


def split_address(address: str) -> tuple[str, str]:
    """("whatsapp"|"sms", bare number) from a Twilio address."""
    if address.lower().startswith(WHATSAPP_PREFIX):
        return "whatsapp", address[len(WHATSAPP_PREFIX):].strip()
    if ":" in address:
        # messenger:, rcs:... are channels Aduan does not serve here.
        raise WebhookRejected(400, "unsupported channel address")
    return "sms", address.strip()


def media_refs(params: FormParams) -> list[MediaRef]:
    """MediaUrl0..N-1 with their claimed types; 400 on a bad or truncated list."""
    raw = (params.first("NumMedia") or "0").strip()
    if not raw.isdigit() or int(raw) > MAX_MEDIA:
        raise WebhookRejected(400, "bad NumMedia")
    refs = []
    for i in range(int(raw)):
        url = (params.first(f"MediaUrl{i}") or "").strip()
        if not url.lower().startswith(("http://", "https://")):
            raise WebhookRejected(400, f"missing or bad MediaUrl{i}")
        refs.append(MediaRef(i, url, (params.first(f"MediaContentType{i}") or "").strip().lower()))
    return refs


def our_number(settings: TwilioSettings, to: str) -> TwilioNumber:
    """The configured number the citizen wrote to, or 404."""
    number = settings.find_number(to)
    if number is None:
        raise WebhookRejected(404, "To is not a configured Twilio number")
    return number


def inbound_message(
    params: FormParams, raw: str, number: TwilioNumber, received_at: datetime
) -> InboundMessage:
    """A citizen's SMS/WhatsApp message, without its media (downloaded later)."""
    channel, sender = split_address(require(params, "From"))
    to_channel, _ = split_address(require(params, "To"))
    if to_channel != channel:
        raise WebhookRejected(400, "From and To are on different channels")
    if not sender:
        raise WebhookRejected(400, "missing From")
    reply_from = WHATSAPP_PREFIX + number.number if channel == "whatsapp" else number.number
    # A WhatsApp quick-reply button (e.g. "Cek status" under a template) carries its command as ButtonPayload.
    text = params.first("ButtonPayload") or params.first("Body") or ""
    latitude, longitude = _location(params)
    return InboundMessage(
        channel=channel,
        external_id=message_sid(params),
        sender=sender,
        # Passed through unchanged: the core parses CEK/STATUS/STOP...
        text=text,
        # WhatsApp only: the citizen's profile name.
        sender_name=(params.first("ProfileName") or "").strip() or None,
        latitude=latitude,
        longitude=longitude,
        received_at=received_at,
        language=None,
        reply_context={"to": reply_from, "number_label": number.label},
        raw=raw,
        is_location_only=latitude is not None and not text.strip() and params.first("NumMedia", "0") == "0",
    )


def _location(params: FormParams) -> tuple[float | None, float | None]:
    """A shared WhatsApp location (Latitude/Longitude), or (None, None) if absent or invalid.

    https://www.twilio.com/docs/whatsapp/api#location-messages-with-whatsapp
    """
    try:
        lat = float(params.first("Latitude") or "nan")
        lon = float(params.first("Longitude") or "nan")
    except ValueError:
        return None, None
    if -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0:
        return lat, lon
    return None, None


def delivery_update(params: FormParams) -> DeliveryUpdate | None:
    """A status callback as a DeliveryUpdate; None for pre-send states."""
    sid = message_sid(params)
    status = (params.first("MessageStatus") or params.first("SmsStatus") or "").strip().lower()
    if not status:
        raise WebhookRejected(400, "missing MessageStatus")
    mapped = STATUS_MAP.get(status)
    if mapped is None:
        return None
    addresses = " ".join(params.first(k) or "" for k in ("To", "From")).lower()
    whatsapp = WHATSAPP_PREFIX in addresses or (params.first("ChannelPrefix") or "").lower() == "whatsapp"
    code = (params.first("ErrorCode") or "").strip() or None
    return DeliveryUpdate(
        channel="whatsapp" if whatsapp else "sms",
        external_id=sid,
        status=mapped,
        error_code=code,
        recipient_opted_out=code in OPTED_OUT_CODES,
        recipient_unreachable=code in UNREACHABLE_CODES,
    )
