"""Messenger webhook events (object "page") as normalised messages and delivery updates.

https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messaging_postbacks
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-echoes
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-deliveries
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-reads
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from adapters.contract.errors import WebhookRejected
from adapters.contract.messages import DeliveryUpdate, InboundMessage

CHANNEL = "messenger"


@dataclass
class Parsed:
    """What one webhook body holds: citizens' messages (with image URLs still to fetch) and receipts."""

    messages: list[InboundMessage] = field(default_factory=list)
    image_urls: dict[str, list[str]] = field(default_factory=dict)  # external_id -> attachment URLs
    updates: list[DeliveryUpdate] = field(default_factory=list)
    reads: int = 0
    ignored: list[str] = field(default_factory=list)  # event kinds we do not take (reactions, optins...)


def _ms(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _id(obj: Any, key: str) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    inner = value.get("id") if isinstance(value, dict) else None
    return str(inner) if inner else ""


def events(body: dict[str, Any], page_id: str) -> list[dict[str, Any]]:
    """Every messaging event addressed to our Page (400 for a body that is not a Page webhook)."""
    if body.get("object") != "page":
        raise WebhookRejected(400, 'object must be "page"')
    entries = body.get("entry")
    if not isinstance(entries, list):
        raise WebhookRejected(400, "entry must be a list")
    found: list[dict[str, Any]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise WebhookRejected(400, "entry items must be objects")
        if str(entry.get("id")) != page_id:
            raise WebhookRejected(403, "webhook for another Page")
        for event in entry.get("messaging") or []:
            if isinstance(event, dict):
                found.append(event)
    return found


def parse(body: dict[str, Any], page_id: str) -> Parsed:
    out = Parsed()
    for event in events(body, page_id):
        if "message" in event:
            _message(event, page_id, out)
        elif "postback" in event:
            _postback(event, out)
        elif "delivery" in event:
            mids = (event["delivery"] or {}).get("mids") or []
            out.updates += [DeliveryUpdate(CHANNEL, str(m), "delivered") for m in mids if m]
        elif "read" in event:
            out.reads += 1  # a watermark, not message ids: counted, nothing to update
        else:
            out.ignored.append(next((k for k in event if k not in ("sender", "recipient", "timestamp")), "empty"))
    return out


def _message(event: dict[str, Any], page_id: str, out: Parsed) -> None:
    msg = event["message"] if isinstance(event["message"], dict) else {}
    mid = str(msg.get("mid") or "")
    if msg.get("is_echo"):
        # Our own message (or a Page admin's from the inbox) echoed back: a receipt, never a ticket.
        if mid:
            out.updates.append(DeliveryUpdate(CHANNEL, mid, "sent"))
        return
    sender = _id(event, "sender")
    if not mid or not sender or sender == page_id:
        raise WebhookRejected(400, "message without mid or sender")
    text = str(msg.get("text") or "")
    quick = msg.get("quick_reply")
    if isinstance(quick, dict) and quick.get("payload"):
        text = str(quick["payload"])  # the button's command, e.g. "CEK JKT-7K3M-QXP2"
    inbound = InboundMessage(
        channel=CHANNEL, external_id=mid, sender=sender, text=text, received_at=_ms(event.get("timestamp")),
        reply_context={"page_id": page_id}, raw=json.dumps(event, ensure_ascii=False),
    )
    images: list[str] = []
    errors: list[str] = []
    for att in msg.get("attachments") or []:
        if not isinstance(att, dict):
            continue
        kind, payload = att.get("type"), att.get("payload") or {}
        if kind == "image" and payload.get("url"):
            images.append(str(payload["url"]))
        elif kind == "location" and isinstance(payload.get("coordinates"), dict):
            coords = payload["coordinates"]
            try:
                inbound.latitude, inbound.longitude = float(coords["lat"]), float(coords["long"])
            except (KeyError, TypeError, ValueError):
                errors.append("unsupported_content:location")
        else:
            errors.append(f"unsupported_content:{kind}")
    if errors:
        inbound.reply_context["media_errors"] = errors
    inbound.is_location_only = inbound.latitude is not None and not text and not images
    out.messages.append(inbound)
    if images:
        out.image_urls[mid] = images


def _postback(event: dict[str, Any], out: Parsed) -> None:
    """A button press ("Cek status", Get Started): its payload is the citizen's command."""
    postback = event["postback"] if isinstance(event["postback"], dict) else {}
    sender = _id(event, "sender")
    if not sender:
        raise WebhookRejected(400, "postback without sender")
    # Postbacks carry a mid since Graph v8; before, sender + timestamp is as unique as it gets.
    key = str(postback.get("mid") or f"postback:{sender}:{event.get('timestamp')}")
    text = str(postback.get("payload") or postback.get("title") or "")
    if text == "GET_STARTED":
        text = "BANTUAN"
    out.messages.append(InboundMessage(
        channel=CHANNEL, external_id=key, sender=sender, text=text, received_at=_ms(event.get("timestamp")),
        raw=json.dumps(event, ensure_ascii=False),
    ))
