"""A local fake of Meta's Graph API (Messenger Send API) that checks what the real one checks.

- the page access token (Bearer header or access_token parameter): 190 OAuthException otherwise;
- the recipient: a page-scoped id the Page has talked to, else 100/2018001; a blocked one 551/1545041;
- the 24-hour window: a RESPONSE/UPDATE after 24 hours since the person's last message is refused with
  10/2018278; MESSAGE_TAG needs one of the tags Meta knows (100 otherwise);
- the message: text of at most 2,000 characters, at most 13 quick replies with titles of 20;
- faults in Meta's own shape: rate limits (HTTP 400 code 613 / 4 or HTTP 429), 5xx with code 2.

Errors are ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.
It also serves attachment downloads under /cdn/ (the URLs inbound webhooks carry).

WhatsApp Cloud API (``/{version}/{phone_number_id}/messages``, ``/media``, media by id) is checked the
same way: a number that is not on WhatsApp gets 131026, a free-form message more than 24 hours
after the person's last message 131047, a template must exist in the language asked with exactly
its parameters (132001 / 132000), and inbound media downloads need the token.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from aiohttp import web

TAGS = {"ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "HUMAN_AGENT"}
WINDOW = timedelta(hours=24)


class StepClock:
    """The time an adapter test and its fake share; tests move ``now`` by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def meta_error(status: int, code: int, message: str, subcode: int | None = None,
               kind: str = "OAuthException", headers: dict[str, str] | None = None) -> web.Response:
    err: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfGhIjK"}
    if subcode is not None:
        err["error_subcode"] = subcode
    return web.json_response({"error": err}, status=status, headers=headers)


@dataclass
class SentMessage:
    recipient: str
    body: dict[str, Any]  # messaging_type, tag, message (the upload's fields decoded)
    upload: bytes | None = None
    mid: str = ""


@dataclass
class GraphFake:
    token: str
    now: Callable[[], datetime]
    version: str = "v21.0"
    last_inbound: dict[str, datetime] = field(default_factory=dict)  # PSID -> when the person last wrote
    blocked: set[str] = field(default_factory=set)
    sent: list[SentMessage] = field(default_factory=list)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # /cdn/<name> -> (bytes, type)
    faults: list[str] = field(default_factory=list)  # "429", "613", "500" answered in order
    calls: int = 0
    phone_number_id: str = "106540352242922"
    # WhatsApp templates: name -> (languages, body parameters, image header)
    wa_templates: dict[str, tuple[tuple[str, ...], int, bool]] = field(default_factory=dict)
    wa_media: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # media id -> (bytes, type)
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cdn_url(self, name: str) -> str:
        return f"{self.base_url}/cdn/{name}"

    def texts(self, recipient: str | None = None) -> list[str]:
        return [m.body["message"].get("text", "") for m in self.sent
                if recipient is None or m.recipient == recipient]

    def _fault(self) -> web.Response | None:
        if not self.faults:
            return None
        fault = self.faults.pop(0)
        if fault == "429":
            return meta_error(429, 4, "(#4) Application request limit reached", headers={"Retry-After": "2"})
        if fault == "613":
            return meta_error(400, 613, "(#613) Calls to this api have exceeded the rate limit.")
        return meta_error(int(fault), 2, "An unexpected error has occurred. Please retry your request later.")

    async def _fields(self, request: web.Request) -> tuple[dict[str, Any], bytes | None, str]:
        if request.content_type == "application/json":
            return json.loads(await request.read()), None, ""
        form = await request.post()
        fields: dict[str, Any] = {}
        upload: bytes | None = None
        for key, value in form.items():
            if isinstance(value, web.FileField):
                upload = value.file.read()
            else:
                fields[key] = json.loads(value) if key in ("recipient", "message") else value
        return fields, upload, str(form.get("access_token") or "")

    async def _messages(self, request: web.Request) -> web.Response:
        self.calls += 1
        body, upload, form_token = await self._fields(request)
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else (request.query.get("access_token") or form_token)
        if token != self.token:
            return meta_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        if (fault := self._fault()) is not None:
            return fault
        return self._check(body, upload)

    def _check(self, body: dict[str, Any], upload: bytes | None) -> web.Response:
        psid = str((body.get("recipient") or {}).get("id") or "")
        if psid in self.blocked:
            return meta_error(400, 551, "This person isn't available right now.", 1545041)
        if psid not in self.last_inbound:
            return meta_error(400, 100, "No matching user found", 2018001)
        kind, tag = body.get("messaging_type"), body.get("tag")
        if kind == "MESSAGE_TAG":
            if tag not in TAGS:
                return meta_error(400, 100, "(#100) Param tag must be one of the allowed tags", kind="OAuthException")
        elif kind in ("RESPONSE", "UPDATE"):
            if self.now() - self.last_inbound[psid] > WINDOW:
                return meta_error(400, 10, "(#10) This message is sent outside of allowed window.", 2018278)
        else:
            return meta_error(400, 100, "(#100) messaging_type is required")
        message = body.get("message") or {}
        text = message.get("text")
        if text is not None and not 0 < len(text) <= 2000:
            return meta_error(400, 100, "(#100) Length of param message[text] must be less than or equal to 2000")
        quick = message.get("quick_replies") or []
        if len(quick) > 13 or any(len(q.get("title", "")) > 20 for q in quick):
            return meta_error(400, 100, "(#100) Invalid quick_replies")
        if text is None and "attachment" not in message:
            return meta_error(400, 100, "(#100) Must send either message or state")
        mid = f"m_{len(self.sent) + 1:06d}"
        self.sent.append(SentMessage(psid, body, upload, mid))
        return web.json_response({"recipient_id": psid, "message_id": mid})

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization", "") == f"Bearer {self.token}"

    async def _wa_messages(self, request: web.Request) -> web.Response:
        self.calls += 1
        body = json.loads(await request.read())
        if not self._authorised(request):
            return meta_error(401, 190, "Error validating access token")
        if (fault := self._fault()) is not None:
            return fault
        if body.get("messaging_product") != "whatsapp":
            return meta_error(400, 100, "(#100) The parameter messaging_product is required.")
        to = str(body.get("to") or "")
        if to in self.blocked or to not in self.last_inbound:
            return meta_error(400, 131026, "Message undeliverable", kind="OAuthException")
        kind = body.get("type")
        if kind == "template":
            refused = self._wa_template(body.get("template") or {})
            if refused is not None:
                return refused
        elif self.now() - self.last_inbound[to] > WINDOW:
            return meta_error(400, 131047, "Re-engagement message", kind="OAuthException")
        elif kind == "text" and not 0 < len((body.get("text") or {}).get("body", "")) <= 4096:
            return meta_error(400, 100, "(#100) Param text['body'] must be at most 4096 characters long.")
        elif kind == "image" and (body.get("image") or {}).get("id") not in self.wa_media:
            return meta_error(400, 131053, "Media upload error")
        mid = f"wamid.HBgM{len(self.sent) + 1:06d}"
        self.sent.append(SentMessage(to, body, None, mid))
        return web.json_response({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                                  "messages": [{"id": mid}]})

    def _wa_template(self, template: dict[str, Any]) -> web.Response | None:
        known = self.wa_templates.get(str(template.get("name")))
        language = (template.get("language") or {}).get("code")
        if known is None or language not in known[0]:
            return meta_error(404, 132001, "Template name does not exist in the translation")
        components = {c.get("type"): c.get("parameters") or [] for c in template.get("components") or []}
        body = components.get("body", [])
        if len(body) != known[1] or any(not p.get("text") for p in body):
            return meta_error(400, 132000, "Number of parameters does not match the expected number of params")
        header = components.get("header", [])
        if known[2] and not (header and (header[0].get("image") or {}).get("id") in self.wa_media):
            return meta_error(400, 132012, "Parameter format does not match format in the created template")
        return None

    async def _wa_upload(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return meta_error(401, 190, "Error validating access token")
        form = await request.post()
        upload = form.get("file")
        if form.get("messaging_product") != "whatsapp" or not isinstance(upload, web.FileField):
            return meta_error(400, 100, "(#100) The parameter messaging_product is required.")
        media_id = f"{900000000000000 + len(self.wa_media)}"
        self.wa_media[media_id] = (upload.file.read(), str(form.get("type")))
        return web.json_response({"id": media_id})

    async def _wa_media_info(self, request: web.Request) -> web.Response:
        media_id = request.match_info["media_id"]
        if not self._authorised(request):
            return meta_error(401, 190, "Error validating access token")
        if media_id not in self.wa_media:
            return meta_error(404, 100, "(#100) Invalid media id")
        content, kind = self.wa_media[media_id]
        return web.json_response({"messaging_product": "whatsapp", "url": f"{self.base_url}/wa-media/{media_id}",
                                  "mime_type": kind, "file_size": len(content), "id": media_id})

    async def _wa_media_download(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.Response(status=401)
        content, kind = self.wa_media[request.match_info["media_id"]]
        return web.Response(body=content, content_type=kind)

    async def _cdn(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.files:
            return web.Response(status=404)
        content, kind = self.files[name]
        return web.Response(body=content, content_type=kind)

    async def __aenter__(self) -> "GraphFake":
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post(f"/{self.version}/me/messages", self._messages)
        app.router.add_get("/cdn/{name}", self._cdn)
        app.router.add_post(f"/{self.version}/{self.phone_number_id}/messages", self._wa_messages)
        app.router.add_post(f"/{self.version}/{self.phone_number_id}/media", self._wa_upload)
        app.router.add_get(f"/{self.version}/{{media_id:[0-9]+}}", self._wa_media_info)
        app.router.add_get("/wa-media/{media_id}", self._wa_media_download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner:
            await self._runner.cleanup()
