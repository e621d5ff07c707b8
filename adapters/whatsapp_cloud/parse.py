"""WhatsApp Cloud API webhooks (object "whatsapp_business_account", field "messages").

https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples
https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from adapters.contract.errors import WebhookRejected
from adapters.contract.messages import DeliveryUpdate, InboundMessage

CHANNEL = "whatsapp"
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}
# 131026: undeliverable (not on WhatsApp, old app, not accepted the terms).
UNREACHABLE_CODES = frozenset({"131026"})


@dataclass
class Parsed:
    messages: list[InboundMessage] = field(default_factory=list)
    media_ids: dict[str, list[str]] = field(default_factory=dict)  # external_id -> media ids to download
    updates: list[DeliveryUpdate] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def e164(wa_id: str) -> str:
    """WhatsApp ids are E.164 without the "+": the reporter's address is the same as through Twilio."""
    digits = wa_id.strip().lstrip("+")
    if not digits.isdigit():
        raise WebhookRejected(400, "from is not a WhatsApp number")
    return "+" + digits


def _seconds(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def values(body: dict[str, Any], phone_number_id: str) -> list[dict[str, Any]]:
    if body.get("object") != "whatsapp_business_account":
        raise WebhookRejected(400, 'object must be "whatsapp_business_account"')
    found = []
    for entry in body.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue
            value = change.get("value") or {}
            if str((value.get("metadata") or {}).get("phone_number_id")) != phone_number_id:
                raise WebhookRejected(403, "webhook for another phone number")
            found.append(value)
    return found


def parse(body: dict[str, Any], phone_number_id: str) -> Parsed:
    out = Parsed()
    for value in values(body, phone_number_id):
        names = {c.get("wa_id"): (c.get("profile") or {}).get("name") for c in value.get("contacts") or []
                 if isinstance(c, dict)}
        for msg in value.get("messages") or []:
            if isinstance(msg, dict):
                _message(msg, names, out)
        for status in value.get("statuses") or []:
            if isinstance(status, dict):
                _status(status, out)
    return out


def _text(msg: dict[str, Any]) -> str:
    kind = msg.get("type")
    if kind == "text":
        return str((msg.get("text") or {}).get("body") or "")
    if kind == "interactive":  # a reply button (e.g. "Cek status", id "CEK <id>") or a list choice
        inter = msg.get("interactive") or {}
        reply = inter.get("button_reply") or inter.get("list_reply") or {}
        return str(reply.get("id") or reply.get("title") or "")
    if kind == "button":  # a template's quick-reply button
        button = msg.get("button") or {}
        return str(button.get("payload") or button.get("text") or "")
    if kind == "image":
        return str((msg.get("image") or {}).get("caption") or "")
    return ""


def _message(msg: dict[str, Any], names: dict[Any, Any], out: Parsed) -> None:
    wamid, sender = str(msg.get("id") or ""), str(msg.get("from") or "")
    if not wamid or not sender:
        raise WebhookRejected(400, "message without id or from")
    kind = msg.get("type")
    inbound = InboundMessage(
        channel=CHANNEL, external_id=wamid, sender=e164(sender), text=_text(msg), sender_name=names.get(sender),
        received_at=_seconds(msg.get("timestamp")), reply_context={"provider": "whatsapp_cloud"},
        raw=json.dumps(msg, ensure_ascii=False),
    )
    if kind == "image" and (msg.get("image") or {}).get("id"):
        out.media_ids[wamid] = [str(msg["image"]["id"])]
    elif kind == "location":
        loc = msg.get("location") or {}
        try:
            inbound.latitude, inbound.longitude = float(loc["latitude"]), float(loc["longitude"])
        except (KeyError, TypeError, ValueError):
            inbound.reply_context["media_errors"] = ["unsupported_content:location"]
        inbound.is_location_only = inbound.latitude is not None
    elif kind not in ("text", "interactive", "button"):
        inbound.reply_context["media_errors"] = [f"unsupported_content:{kind}"]
    out.messages.append(inbound)


def _status(status: dict[str, Any], out: Parsed) -> None:
    mapped = STATUSES.get(str(status.get("status")))
    wamid = str(status.get("id") or "")
    if mapped is None or not wamid:
        out.ignored.append(f"status:{status.get('status')}")
        return
    errors = status.get("errors") or []
    code = str(errors[0].get("code")) if errors and isinstance(errors[0], dict) else None
    out.updates.append(DeliveryUpdate(CHANNEL, wamid, mapped, error_code=code,
                                      recipient_unreachable=code in UNREACHABLE_CODES))
