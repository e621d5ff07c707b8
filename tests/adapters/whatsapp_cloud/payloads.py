"""Real-format WhatsApp Cloud API webhooks (object "whatsapp_business_account"), signed as Meta signs them."""
from __future__ import annotations

import json
from typing import Any

from adapters.meta.webhook import sign
from tests.harness.channel_cases import raw_request

PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"
WA_ID = "6281234567890"
CITIZEN = "+6281234567890"
TOKEN = "EAAJB7WABAtokenCloud0000000000000000ZDZD"
APP_SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
VERIFY_TOKEN = "aduan-wa-verify-55"
PATH = "/webhooks/whatsapp"
TS = "1732782600"  # 2024-11-28 08:30:00 UTC


def envelope(*, messages: list[dict[str, Any]] | None = None, statuses: list[dict[str, Any]] | None = None,
             phone_number_id: str = PHONE_NUMBER_ID) -> dict[str, Any]:
    value: dict[str, Any] = {"messaging_product": "whatsapp",
                             "metadata": {"display_phone_number": "628111272206", "phone_number_id": phone_number_id}}
    if messages is not None:
        value["contacts"] = [{"profile": {"name": "Budi"}, "wa_id": WA_ID}]
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return {"object": "whatsapp_business_account",
            "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}]}


def message(wamid: str, kind: str, **content: Any) -> dict[str, Any]:
    return {"from": WA_ID, "id": wamid, "timestamp": TS, "type": kind, **content}


def text(wamid: str, body: str) -> dict[str, Any]:
    return message(wamid, "text", text={"body": body})


def image(wamid: str, media_id: str, caption: str | None = None) -> dict[str, Any]:
    img: dict[str, Any] = {"mime_type": "image/jpeg", "sha256": "x", "id": media_id}
    if caption is not None:
        img["caption"] = caption
    return message(wamid, "image", image=img)


def location(wamid: str, lat: float, long: float) -> dict[str, Any]:
    return message(wamid, "location", location={"latitude": lat, "longitude": long, "name": "Kemang"})


def button_reply(wamid: str, reply_id: str, title: str = "Cek status") -> dict[str, Any]:
    return message(wamid, "interactive", interactive={"type": "button_reply",
                                                      "button_reply": {"id": reply_id, "title": title}})


def template_button(wamid: str, payload: str) -> dict[str, Any]:
    return message(wamid, "button", button={"payload": payload, "text": "Cek status"})


def status(wamid: str, state: str, code: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": wamid, "status": state, "timestamp": TS, "recipient_id": WA_ID}
    if code is not None:
        out["errors"] = [{"code": code, "title": "x", "message": "x", "error_data": {"details": "x"}}]
    return out


def post(payload: Any, *, secret: str = APP_SECRET, signature: str | None = None) -> Any:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sig = signature if signature is not None else sign(raw, secret)
    headers = {"Content-Type": "application/json"}
    if sig:
        headers["X-Hub-Signature-256"] = sig
    return raw_request("POST", PATH, raw, headers=headers)
