"""Real-format Messenger webhook bodies (object "page"), signed as Meta signs them."""
from __future__ import annotations

import json
from typing import Any

from adapters.meta.webhook import sign
from tests.harness.channel_cases import raw_request

PAGE_ID = "105020735871234"
PSID = "6723451928374651"
APP_SECRET = "3f1e5c2b9a7d4e6f8a0b1c2d3e4f5a6b"
PAGE_TOKEN = "EAAGm0PX4ZCpsBAKZCqvz0ZA4token0000000000000ZDZD"
VERIFY_TOKEN = "aduan-verify-7c1d"
PATH = "/webhooks/messenger"
TS = 1732782600000  # 2024-11-28 08:30:00 UTC
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x00" * 200


def event(**kinds: Any) -> dict[str, Any]:
    return {"sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "timestamp": TS, **kinds}


def page(*events: dict[str, Any], page_id: str = PAGE_ID) -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": page_id, "time": TS, "messaging": list(events)}]}


def text(mid: str, body: str, **extra: Any) -> dict[str, Any]:
    return event(message={"mid": mid, "text": body, **extra})


def attachments(mid: str, *items: dict[str, Any], body: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"mid": mid, "attachments": list(items)}
    if body is not None:
        message["text"] = body
    return event(message=message)


def image(url: str) -> dict[str, Any]:
    return {"type": "image", "payload": {"url": url}}


def location(lat: float, long: float) -> dict[str, Any]:
    return {"type": "location", "title": "Lokasi", "payload": {"coordinates": {"lat": lat, "long": long}}}


def postback(payload: str, mid: str | None = "m_pb1", title: str = "Cek status") -> dict[str, Any]:
    pb: dict[str, Any] = {"title": title, "payload": payload}
    if mid:
        pb["mid"] = mid
    return event(postback=pb)


def echo(mid: str) -> dict[str, Any]:
    return {"sender": {"id": PAGE_ID}, "recipient": {"id": PSID}, "timestamp": TS,
            "message": {"is_echo": True, "app_id": 1517776481860111, "mid": mid, "text": "Laporan Anda diterima"}}


def delivery(*mids: str) -> dict[str, Any]:
    return event(delivery={"mids": list(mids), "watermark": TS})


def read() -> dict[str, Any]:
    return event(read={"watermark": TS})


def body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def post(payload: Any, *, secret: str = APP_SECRET, signature: str | None = None) -> Any:
    raw = payload if isinstance(payload, bytes) else body(payload)
    sig = signature if signature is not None else sign(raw, secret)
    headers = {"Content-Type": "application/json"}
    if sig:
        headers["X-Hub-Signature-256"] = sig
    return raw_request("POST", PATH, raw, headers=headers)
