"""Sending through the Cloud API: text (with a "Cek status" reply button), images by upload, templates.

https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#upload-media
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from adapters.contract.errors import OutsideWindow, PermanentError, TransientError
from adapters.contract.messages import OutboundMessage
from adapters.meta import graph
from adapters.whatsapp_cloud.settings import CloudTemplate, WhatsAppCloudSettings

TEXT_MAX = 4096
INTERACTIVE_BODY_MAX = 1024
BUTTON_TITLE_MAX = 20
CAPTION_MAX = 1024


def template_body(template: CloudTemplate, message: OutboundMessage, media_id: str | None) -> dict[str, Any]:
    fields = {str(k): str(v) for k, v in (message.payload.get("fields") or {}).items()}
    fields.setdefault("tracking_id", message.tracking_id or "")
    fields.setdefault("url", message.tracking_url or "")
    # WhatsApp refuses empty parameters (132000 family): a missing value becomes "-".
    params = [{"type": "text", "text": (fields.get(v) or "-")[:1024]} for v in template.variables]
    components: list[dict[str, Any]] = []
    if template.image_header:
        if media_id is None:
            raise OutsideWindow(f"template {template.name} needs a photo for its header")
        components.append({"type": "header", "parameters": [{"type": "image", "image": {"id": media_id}}]})
    if params:
        components.append({"type": "body", "parameters": params})
    language = template.language_for(str(message.payload.get("language") or ""))
    return {"type": "template", "template": {"name": template.name, "language": {"code": language},
                                             "components": components}}


class CloudSender:
    def __init__(self, client: httpx.AsyncClient, settings: WhatsAppCloudSettings) -> None:
        self.client = client
        self.settings = settings

    async def _post(self, path: str, **kwargs: Any) -> dict[str, Any]:
        s = self.settings
        return await graph.post(self.client, s.api_url(f"{s.phone_number_id}/{path}"),
                                s.access_token.get_secret_value(), timeout=s.request_timeout_seconds,
                                default_retry_after=s.default_retry_after, **kwargs)

    async def _message(self, to: str, content: dict[str, Any]) -> str:
        answer = await self._post("messages", json={"messaging_product": "whatsapp", "recipient_type": "individual",
                                                    "to": to, **content})
        messages = answer.get("messages") or []
        if not messages or not messages[0].get("id"):
            raise TransientError("Cloud API answered without a message id")
        return str(messages[0]["id"])

    async def upload(self, message: OutboundMessage) -> str:
        """The photo uploaded to WhatsApp's media store; its media id."""
        path = Path(message.media_path or "")
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise PermanentError(f"cannot read photo: {exc.strerror}") from exc
        kind = message.media_content_type or "image/jpeg"
        answer = await self._post("media", data={"messaging_product": "whatsapp", "type": kind},
                                  files={"file": (path.name, data, kind)})
        if not answer.get("id"):
            raise TransientError("media upload answered without an id")
        return str(answer["id"])

    async def send(self, message: OutboundMessage) -> str:
        to = message.recipient.strip().lstrip("+")
        if not to.isdigit():
            raise PermanentError("recipient is not a WhatsApp number")
        media_id = await self.upload(message) if message.media_path else None
        if message.outside_window:
            template = self.settings.template(str(message.payload.get("template") or ""))
            if template is None:
                raise OutsideWindow(f"no approved WhatsApp template configured for {message.kind!r}")
            return await self._message(to, template_body(template, message, media_id if template.image_header
                                                         else None))
        if media_id is not None:
            return await self._message(to, {"type": "image", "image": {"id": media_id,
                                                                       "caption": message.text[:CAPTION_MAX]}})
        return await self._message(to, self._text(message))

    def _text(self, message: OutboundMessage) -> dict[str, Any]:
        if message.tracking_id and len(message.text) <= INTERACTIVE_BODY_MAX:
            lang = str(message.payload.get("language") or "id")
            title = self.settings.button_title.get(lang) or self.settings.button_title.get("id") or "Cek status"
            button = {"type": "reply", "reply": {"id": f"CEK {message.tracking_id}", "title": title[:BUTTON_TITLE_MAX]}}
            return {"type": "interactive", "interactive": {"type": "button", "body": {"text": message.text},
                                                           "action": {"buttons": [button]}}}
        return {"type": "text", "text": {"body": message.text[:TEXT_MAX], "preview_url": True}}
