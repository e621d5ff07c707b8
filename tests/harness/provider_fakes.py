"""Local fakes of the Telegram Bot API, Twilio's REST API and a partner's callback receiver.

One aiohttp server on 127.0.0.1 answers like the real APIs for sending (enough for
the real SDK clients) and counts what arrived; Twilio can be told to hang, to
show that a provider that never answers holds only its own outbox lane. Used by
tests/e2e/test_lanes_e2e.py and bench/outbound.py.
"""
from __future__ import annotations

import asyncio
import json

from aiohttp import web

CHANNELS = ("partner", "telegram", "sms", "email")
ACCOUNT_SID = "AC" + "0" * 32
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def channels_config(base: str, smtp_port: int) -> dict:
    """The four channels' settings pointing at the fakes (``base``) and a local SMTP relay."""
    return {
        "partner": {"partners": [{"name": "bench", "api_key": "bench-partner-key-0123456789",
                                  "callback_url": f"{base}/cb", "callback_secret": "s"}]},
        "telegram": {"enabled": True, "bot_token": TOKEN, "api_base_url": base, "mode": "webhook",
                     "webhook_secret": "bench-secret-0123456789"},
        "twilio": {"enabled": True, "account_sid": ACCOUNT_SID, "auth_token": "0" * 32, "api_base_url": base,
                   "numbers": [{"number": "1708", "label": "lapor-1708"}]},
        "email": {"enabled": True, "listen_host": "127.0.0.1", "listen_port": 0,
                  "addresses": ["lapor@jakarta.go.id"],
                  "relay": {"host": "127.0.0.1", "port": smtp_port, "security": "none"}},
    }


class ProviderFakes:
    """Telegram Bot API, Twilio REST and a partner callback receiver on one local aiohttp server."""

    def __init__(self) -> None:
        self.hang_twilio = False
        self.counts: dict[str, int] = {c: 0 for c in CHANNELS}
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.twilio_waiting = 0  # requests held open while hanging
        self.received: list[tuple[str, str, str]] = []  # (channel, recipient, text) of each accepted send
        self.telegram_calls: list[tuple[str, str]] = []  # (Bot API method, chat_id): sendMessage or sendPhoto
        self._faults: dict[str, list[str]] = {c: [] for c in CHANNELS}

    def fail(self, channel: str, *faults: str) -> None:
        """Answer the next sends on ``channel`` with these faults ("429" or "503"), in the provider's own shape."""
        self._faults[channel].extend(faults)

    def pending_faults(self, channel: str) -> int:
        return len(self._faults[channel])

    def _fault(self, channel: str) -> web.Response | None:
        if not self._faults[channel]:
            return None
        fault = self._faults[channel].pop(0)
        throttled = fault == "429"
        if channel == "telegram":  # https://core.telegram.org/bots/api#responseparameters
            body = ({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 3",
                     "parameters": {"retry_after": 3}} if throttled
                    else {"ok": False, "error_code": 502, "description": "Bad Gateway"})
            return web.json_response(body, status=429 if throttled else 502)
        if channel == "sms":  # https://www.twilio.com/docs/api/errors
            code, status = (20429, 429) if throttled else (20503, 503)
            return web.json_response({"code": code, "message": "Too Many Requests" if throttled else "Unavailable",
                                      "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status},
                                     status=status, headers={"Retry-After": "3"} if throttled else {})
        return web.json_response({"error": fault}, status=int(fault), headers={"Retry-After": "3"} if throttled else {})

    async def _telegram(self, request: web.Request) -> web.Response:
        # Parsed before anything reads the body: a multipart body (sendPhoto) can be read once only.
        sent = await _fields(request)
        bot = {"id": 123456789, "is_bot": True, "first_name": "Aduan", "username": "aduan_bot"}
        if request.match_info["method"] == "getMe":
            return web.json_response({"ok": True, "result": bot})
        fault = self._fault("telegram")
        if fault is not None:
            return fault
        self.received.append(("telegram", str(sent.get("chat_id")), str(sent.get("text") or sent.get("caption"))))
        self.telegram_calls.append((request.match_info["method"], str(sent.get("chat_id"))))
        self.counts["telegram"] += 1
        return web.json_response({"ok": True, "result": {
            "message_id": self.counts["telegram"], "date": 1718000000, "text": "ok",
            "chat": {"id": 1, "type": "private", "first_name": "Warga"},
            "from": bot}})

    async def _twilio(self, request: web.Request) -> web.Response:
        form = await request.post()
        if self.hang_twilio:
            self.twilio_waiting += 1
            try:
                await self._release.wait()
            finally:
                self.twilio_waiting -= 1
        fault = self._fault("sms")
        if fault is not None:
            return fault
        self.received.append(("sms", str(form.get("To")), str(form.get("Body"))))
        self.counts["sms"] += 1
        sid = f"SM{self.counts['sms']:032x}"
        return web.json_response({
            "sid": sid, "status": "queued", "to": form.get("To"), "from": form.get("From"), "body": form.get("Body"),
            "account_sid": ACCOUNT_SID, "num_media": "0", "num_segments": "1", "direction": "outbound-api",
            "api_version": "2010-04-01", "date_created": "Thu, 28 Nov 2024 08:30:00 +0000",
            "date_updated": "Thu, 28 Nov 2024 08:30:00 +0000", "date_sent": None, "error_code": None,
            "error_message": None, "price": None, "price_unit": "USD", "messaging_service_sid": None,
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json", "subresource_uris": {}}, status=201)

    async def _partner(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        fault = self._fault("partner")
        if fault is not None:
            return fault
        self.received.append(("partner", f"bench:{body['reporter_id']}", body["text"]))
        self.counts["partner"] += 1
        return web.json_response({"ok": True})

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post(f"/bot{TOKEN}/{{method}}", self._telegram)
        app.router.add_post(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json", self._twilio)
        app.router.add_post("/cb", self._partner)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{self.port}"

    def release(self) -> None:
        """Let hanging requests answer (and stop hanging)."""
        self.hang_twilio = False
        self._release.set()

    async def stop(self) -> None:
        self._release.set()
        if self._runner:
            await self._runner.cleanup()


async def _fields(request: web.Request) -> dict:
    """A Bot API call's parameters, sent as JSON or as a form."""
    if request.content_type == "application/json":
        body = await request.read()
        return json.loads(body) if body else {}
    return dict(await request.post())
