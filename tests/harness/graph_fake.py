"""A local fake of Meta's Graph API (Messenger Send API) that checks what the real one checks.

- the page access token (Bearer header or access_token parameter): 190 OAuthException otherwise;
- the recipient: a page-scoped id the Page has talked to, else 100/2018001; a blocked one 551/1545041;
- the 24-hour window: a RESPONSE/UPDATE after 24 hours since the person's last message is refused with
  10/2018278; MESSAGE_TAG needs one of the tags Meta knows (100 otherwise);
- the message: text of at most 2,000 characters, at most 13 quick replies with titles of 20;
- faults in Meta's own shape: rate limits (HTTP 400 code 613 / 4 or HTTP 429), 5xx with code 2.

Errors are ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.
It also serves attachment downloads under /cdn/ (the URLs inbound webhooks carry).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from aiohttp import web

TAGS = {"ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "HUMAN_AGENT"}
WINDOW = timedelta(hours=24)


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
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner:
            await self._runner.cleanup()
