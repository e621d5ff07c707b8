"""The Send API: one OutboundMessage as one or two Graph calls (a photo, then its text).

https://developers.facebook.com/docs/messenger-platform/reference/send-api/
https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags
https://developers.facebook.com/docs/messenger-platform/send-messages/quick-replies
"""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from adapters.contract.errors import OutsideWindow, PermanentError, TransientError
from adapters.contract.messages import OutboundMessage
from adapters.messenger.settings import MessengerSettings
from adapters.meta import graph

# https://developers.facebook.com/docs/messenger-platform/send-messages#text  (2,000 characters)
TEXT_MAX = 2000
QUICK_REPLY_TITLE_MAX = 20
QUICK_REPLIES_MAX = 13


def envelope(message: OutboundMessage, settings: MessengerSettings) -> dict[str, Any]:
    """recipient + messaging_type (+ tag outside the window), without the message itself."""
    body: dict[str, Any] = {"recipient": {"id": message.recipient}}
    if not message.outside_window:
        body["messaging_type"] = "RESPONSE"
        return body
    tag = settings.tags.get(message.kind)
    if not tag:
        raise OutsideWindow(f"Messenger allows no message tag for a {message.kind!r} message outside 24 hours")
    body["messaging_type"] = "MESSAGE_TAG"
    body["tag"] = tag
    return body


def text_message(message: OutboundMessage, settings: MessengerSettings) -> dict[str, Any]:
    out: dict[str, Any] = {"text": message.text[:TEXT_MAX]}
    buttons = [b for b in message.payload.get("buttons") or [] if isinstance(b, dict) and b.get("label")
               and b.get("text")]
    if buttons:
        # The core's choice buttons (a rating 1..5): a press comes back as quick_reply.payload, the text.
        out["quick_replies"] = [{"content_type": "text", "title": str(b["label"])[:QUICK_REPLY_TITLE_MAX],
                                 "payload": str(b["text"])} for b in buttons[:QUICK_REPLIES_MAX]]
    elif message.tracking_id:
        lang = str(message.payload.get("language") or "id")
        title = settings.quick_reply_title.get(lang) or settings.quick_reply_title.get("id") or "Cek status"
        out["quick_replies"] = [{"content_type": "text", "title": title[:QUICK_REPLY_TITLE_MAX],
                                 "payload": f"CEK {message.tracking_id}"}]
    return out


class Sender:
    def __init__(self, client: httpx.AsyncClient, settings: MessengerSettings) -> None:
        self.client = client
        self.settings = settings

    async def _call(self, **kwargs: Any) -> str:
        s = self.settings
        answer = await graph.post(self.client, s.api_url("me/messages"), s.page_access_token.get_secret_value(),
                                  timeout=s.request_timeout_seconds, default_retry_after=s.default_retry_after,
                                  **kwargs)
        mid = answer.get("message_id")
        if not mid:
            raise TransientError("Send API answered without message_id")
        return str(mid)

    async def send(self, message: OutboundMessage) -> str:
        """The photo first (Messenger images carry no caption), then the text; the last message id."""
        if not message.recipient.strip().isdigit():
            raise PermanentError("recipient is not a page-scoped id")
        base = envelope(message, self.settings)
        mid = ""
        if message.media_path or message.media_url:
            mid = await self._photo(base, message)
        if message.text.strip():
            mid = await self._call(json={**base, "message": text_message(message, self.settings)})
        if not mid:
            raise PermanentError("nothing to send")
        return mid

    async def _photo(self, base: dict[str, Any], message: OutboundMessage) -> str:
        if self.settings.photo_by_url and message.media_url or not message.media_path:
            attachment = {"type": "image", "payload": {"url": message.media_url, "is_reusable": False}}
            return await self._call(json={**base, "message": {"attachment": attachment}})
        # Upload with the message: Meta need not reach our /media URL.
        path = Path(message.media_path)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise PermanentError(f"cannot read photo: {exc.strerror}") from exc
        form = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in base.items()}
        form["message"] = json.dumps({"attachment": {"type": "image", "payload": {"is_reusable": False}}})
        files = {"filedata": (path.name, data, message.media_content_type or "image/jpeg")}
        return await self._call(data=form, files=files)
