"""Fixtures for the staff side: a gateway with the real Slack adapter pointed at
FakeAPI on 127.0.0.1, a staff directory, signed Slack requests, test photos."""
from __future__ import annotations

import copy
import html
import io
import itertools
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest
from PIL import Image, ImageDraw
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from adapters.base import Capabilities
from adapters.partner import PartnerAdapter
from adapters.slack import SlackAdapter, SlackSettings
from bot.clock import FakeClock
from bot.gateway import Gateway
from bot.models import InboundMessage
from store import repo
from tests.conftest import _RAW_CONFIG, TEST_PG, _pg_exec, make_config
from tests.harness.fake_api import FakeAPI, RecordedRequest
from tests.memory_adapter import MemoryAdapter

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
BANGKA = "31.74.03.1002"  # Kel. Bangka, Kec. Mampang Prapatan, Jakarta Selatan
MAMPANG = "31.74.03"
OTHER_KELURAHAN = "31.75.01.1001"  # Jakarta Timur

# The reporter: none of this may ever appear in what officers read.
REPORTER_PHONE = "+6281298765432"
REPORTER_NAME = "Siti Rahmawati"
REPORT_TEXT = "Sampah menumpuk di Jl. Bangka Raya Kel. Bangka sudah 3 hari, saya Siti Rahmawati, hubungi 0812-9876-5432"
IDENTITY = ("6281298765432", "081298765432", "0812-9876-5432", "9876-5432", "Siti", "Rahmawati")

STAFF = [
    {"code": "lurah-bangka", "name": "Lurah Bangka", "role": "lurah", "area": BANGKA,
     "slack_user_id": "U_LURAH", "telegram_user_id": "7770001"},
    {"code": "camat-mampang", "name": "Camat Mampang", "role": "lurah", "area": MAMPANG, "slack_user_id": "U_CAMAT"},
    {"code": "lurah-lain", "name": "Lurah Lain", "role": "lurah", "area": OTHER_KELURAHAN,
     "slack_user_id": "U_LURAH_LAIN"},
    {"code": "dlh-1", "name": "Petugas DLH", "role": "agency_officer", "agency": "DLH", "slack_user_id": "U_DLH",
     "telegram_user_id": "7770002"},
    {"code": "sudin-lh", "name": "Petugas Sudin LH", "role": "agency_officer", "agency": "SUDIN_LH_JAKSEL",
     "slack_user_id": "U_SUDIN"},
    {"code": "dishub-1", "name": "Petugas Dishub", "role": "agency_officer", "agency": "DISHUB",
     "slack_user_id": "U_DISHUB"},
    {"code": "dlh-en", "name": "DLH Officer", "role": "agency_officer", "agency": "DLH", "slack_user_id": "U_DLH_EN",
     "language": "en"},
    {"code": "validator-1", "name": "Validator Biro", "role": "validator", "slack_user_id": "U_VAL",
     "telegram_user_id": "7770009"},
    {"code": "admin-1", "name": "Admin Aduan", "role": "admin", "slack_user_id": "U_ADMIN"},
]


def agencies() -> list[dict[str, Any]]:
    out = copy.deepcopy(_RAW_CONFIG["agencies"])
    for a in out:
        if a["code"] == "DLH":
            a.update(slack_channel="C_DLH", supervisor_slack_channel="C_DLH_SUP")
        if a["code"] == "DISHUB":
            a["slack_channel"] = "C_DISHUB"
    return out


def slack_section(api: FakeAPI) -> dict[str, Any]:
    return {
        "enabled": True,
        "bot_token": BOT_TOKEN,
        "signing_secret": SIGNING_SECRET,
        "api_base_url": f"{api.base_url}/api/",
        "default_channel": "C_DEFAULT",
        "supervisor_channel": "C_SUP",
        "area_channels": {"31.75": "C_JAKTIM"},
        "response_url_prefixes": [f"{api.base_url}/commands/"],
        "file_url_prefixes": [f"{api.base_url}/files-pri/"],
    }


def signed_headers(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Headers as Slack sends them, signed with slack_sdk's own computation."""
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
    return {"x-slack-request-timestamp": str(timestamp), "x-slack-signature": signature or ""}


# --- photos ------------------------------------------------------------------

def picture(seed: int, size: tuple[int, int] = (256, 192)) -> Image.Image:
    rnd = random.Random(seed)
    im = Image.new("RGB", size, (rnd.randrange(256),) * 3)
    draw = ImageDraw.Draw(im)
    for _ in range(25):
        x0, y0 = rnd.randrange(size[0]), rnd.randrange(size[1])
        draw.rectangle([x0, y0, x0 + rnd.randrange(20, 90), y0 + rnd.randrange(20, 70)],
                       fill=tuple(rnd.randrange(256) for _ in range(3)))
    return im


def jpeg(im: Image.Image, *, gps: bool = False, quality: int = 90) -> bytes:
    """A JPEG; with ``gps`` it carries EXIF GPS coordinates (a phone photo)."""
    buf = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "Aduan Test Camera"
        g = exif.get_ifd(0x8825)
        g[1], g[2], g[3], g[4] = "S", (6.0, 14.0, 30.0), "E", (106.0, 49.0, 0.0)
        im.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    else:
        im.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


# --- the desk: one gateway, its HTTP client, the Slack fake ---------------------

@dataclass
class Desk:
    gw: Gateway
    client: httpx.AsyncClient
    api: FakeAPI
    clock: FakeClock
    citizen: MemoryAdapter
    files: dict[str, bytes] = field(default_factory=dict)
    post_failures: list[str] = field(default_factory=list)
    _n: itertools.count = field(default_factory=lambda: itertools.count(1))

    # citizens
    async def report(self, text: str = REPORT_TEXT, *, sender: str = REPORTER_PHONE, name: str | None = REPORTER_NAME,
                     photo: bytes | None = None) -> str:
        from bot.models import InboundAttachment

        n = next(self._n)
        msg = InboundMessage(channel="memory", external_id=f"citizen-{n}", sender=sender, sender_name=name, text=text,
                             standalone=True,
                             attachments=[InboundAttachment(photo, "image/jpeg")] if photo else [])
        (outcome,) = await self.gw.intake.submit([msg])
        assert outcome.action == "new_ticket", outcome
        return outcome.tracking_id

    # outbox
    async def pump(self) -> None:
        """Send everything queued (Slack posts, citizen messages)."""
        for _ in range(20):
            if await self.gw.dispatcher.run_once() == 0:
                return

    # Slack requests
    async def post(self, path: str, body: bytes, *, content_type: str, timestamp: int | None = None,
                   secret: str = SIGNING_SECRET, headers: dict[str, str] | None = None) -> httpx.Response:
        ts = int(self.clock.now().timestamp()) if timestamp is None else timestamp
        h = {"content-type": content_type, **signed_headers(body, ts, secret), **(headers or {})}
        return await self.client.post(path, content=body, headers=h)

    async def slash(self, user: str, text: str, *, command: str = "/aduan") -> tuple[str, str | None]:
        """Run a slash command: (the immediate ack text, the response_url follow-up text or None)."""
        n = next(self._n)
        form = {
            "token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": "T0001", "team_domain": "dki-jakarta",
            "channel_id": "C_DLH", "channel_name": "aduan-dlh", "user_id": user, "user_name": "officer",
            "command": command, "text": text, "api_app_id": "A0ADUAN", "is_enterprise_install": "false",
            "response_url": f"{self.api.base_url}/commands/T0001/{n}/r3sp0nse", "trigger_id": f"{n}.1.abc",
        }
        before = len(self.api.matching("POST", r"/commands/.*"))
        resp = await self.post("/webhooks/slack/commands", urlencode(form).encode(),
                               content_type="application/x-www-form-urlencoded")
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith("application/json")
        ack = resp.json()
        assert ack["response_type"] == "ephemeral"
        await self.gw.staff.drain()
        followups = self.api.matching("POST", r"/commands/.*")[before:]
        assert len(followups) <= 1
        if followups:
            assert followups[0].path == f"/commands/T0001/{n}/r3sp0nse"
            body = followups[0].json
            assert body["response_type"] == "ephemeral"
            return html.unescape(ack["text"]), html.unescape(body["text"])
        return html.unescape(ack["text"]), None

    async def run(self, user: str, text: str) -> str:
        """A command that is acknowledged, then answered through response_url."""
        ack, followup = await self.slash(user, text)
        assert followup is not None, f"no follow-up for {text!r}; ack: {ack}"
        return followup

    async def event(self, event: dict[str, Any], *, event_id: str | None = None,
                    retry: int | None = None) -> httpx.Response:
        n = next(self._n)
        payload = {"token": "x", "team_id": "T0001", "api_app_id": "A0ADUAN", "event": event,
                   "type": "event_callback", "event_id": event_id or f"Ev{n:08d}", "event_time": 1772413200}
        headers = {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"} if retry else None
        resp = await self.post("/webhooks/slack/events", json.dumps(payload).encode(),
                               content_type="application/json", headers=headers)
        await self.gw.staff.drain()
        return resp

    def share_file(self, file_id: str, content: bytes, name: str = "bukti.jpg") -> dict[str, Any]:
        """A file object as Slack puts it in a message event; FakeAPI serves its bytes."""
        self.files[f"/files-pri/T0001-{file_id}/download/{name}"] = content
        return {"id": file_id, "name": name, "title": name, "mimetype": "image/jpeg", "filetype": "jpg",
                "size": len(content), "mode": "hosted", "is_external": False,
                "url_private": f"{self.api.base_url}/files-pri/T0001-{file_id}/{name}",
                "url_private_download": f"{self.api.base_url}/files-pri/T0001-{file_id}/download/{name}"}

    async def photo_in_thread(self, tracking_id: str, user: str, content: bytes, text: str = "",
                              file_id: str | None = None) -> httpx.Response:
        channel, thread_ts = await self.thread_of(tracking_id)
        n = next(self._n)
        event = {"type": "message", "subtype": "file_share", "text": text, "user": user,
                 "files": [self.share_file(file_id or f"F{n:06d}", content)], "upload": False,
                 "ts": f"1772413{n:03d}.000200", "thread_ts": thread_ts, "channel": channel,
                 "channel_type": "channel", "event_ts": f"1772413{n:03d}.000200"}
        return await self.event(event)

    # what Slack received
    def posts(self) -> list[dict[str, Any]]:
        """Every chat.postMessage call (including any answered with a scripted failure)."""
        return [r.json for r in self.api.matching("POST", "/api/chat.postMessage")]

    def post_texts(self, channel: str | None = None) -> list[str]:
        return [html.unescape(p["text"]) for p in self.posts() if channel is None or p["channel"] == channel]

    def everything_slack_saw(self) -> str:
        """Every text sent to Slack: channel posts and response_url answers."""
        texts = [json.dumps(r.json, ensure_ascii=False) for r in self.api.requests
                 if r.method == "POST" and (r.path.startswith("/commands/") or r.path == "/api/chat.postMessage")]
        return html.unescape("\n".join(texts))

    async def thread_of(self, tracking_id: str) -> tuple[str, str]:
        from bot.staff.notify import T_THREAD

        await self.pump()
        t = await self.ticket(tracking_id)
        row = await self.gw.db.read(lambda c: c.execute(select(T_THREAD).where(T_THREAD.c.ticket_id == t["id"]))
                                    .mappings().one())
        assert row["thread_ts"], "the ticket's first post was not sent"
        return row["channel"], row["thread_ts"]

    # database
    async def ticket(self, tracking_id: str) -> Any:
        return await self.gw.db.read(repo.ticket_by_tracking_id, tracking_id)

    async def events(self, tracking_id: str) -> list[Any]:
        t = await self.ticket(tracking_id)
        return await self.gw.db.read(repo.events_for, t["id"])

    async def attachments(self, tracking_id: str) -> list[Any]:
        t = await self.ticket(tracking_id)
        A = repo.T_ATTACHMENT
        return await self.gw.db.read(lambda c: list(c.execute(select(A).where(A.c.ticket_id == t["id"])
                                                               .order_by(A.c.id)).mappings()))


def expect_slack(api: FakeAPI, desk_files: dict[str, bytes], failures: list[str]) -> None:
    """The Slack Web API as FakeAPI plays it: every call answered, every request recorded.

    ``failures``: Slack error codes the next chat.postMessage calls answer with, in order.
    """
    counter = itertools.count(1)

    def post_message(req: RecordedRequest) -> Any:
        from aiohttp import web

        body = req.json
        assert req.headers.get("authorization") == f"Bearer {BOT_TOKEN}"
        if failures:
            error = failures.pop(0)
            return web.json_response({"ok": False, "error": error}, status=500 if error == "internal_error" else 200)
        return {"ok": True, "channel": body["channel"], "ts": f"1772413200.{next(counter):06d}",
                "message": {"type": "message", "text": body.get("text", ""), "bot_id": "B0ADUAN"}}

    def download(req: RecordedRequest) -> Any:
        from aiohttp import web

        if req.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
            return web.Response(status=302, headers={"location": "https://slack.com/signin"})
        content = desk_files.get(req.path)
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content, content_type="image/jpeg")

    api.expect("POST", "/api/chat.postMessage", handler=post_message, times=None)
    api.expect("POST", r"/commands/.*", body="ok", times=None)
    api.expect("GET", r"/files-pri/.*", handler=download, times=None)


@pytest.fixture(autouse=True)
def _clean_staff_dedup(database_url: str) -> None:
    """tests/conftest.py truncates the core tables between PostgreSQL tests; this one too."""
    if TEST_PG:
        _pg_exec(TEST_PG, "TRUNCATE staff_dedup")


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeAPI]:
    async with FakeAPI() as api:
        yield api


@pytest.fixture
def photo_caps() -> bool:
    """Whether the citizen's channel carries photos (tests override it)."""
    return True


@pytest.fixture
def staff_config(tmp_path: Path, database_url: str, slack_api: FakeAPI) -> Any:
    return make_config(tmp_path, database_url, staff=STAFF, agencies=agencies(),
                       channels={"slack": slack_section(slack_api)})


def citizen_adapter(photo: bool) -> MemoryAdapter:
    return MemoryAdapter(Capabilities(max_text_length=1000, supports_photo=photo, rate_per_second=1000, burst=1000,
                                      per_recipient_per_second=1000, per_recipient_burst=1000))


async def build_desk(config: Any, database_url: str, clock: FakeClock, api: FakeAPI, citizen: MemoryAdapter,
                     extra: list[Any] | None = None) -> tuple[Gateway, Desk]:
    from bot.channels import channel_settings

    settings = channel_settings(config)["slack"]
    assert isinstance(settings, SlackSettings)
    slack = SlackAdapter(settings)
    gw = Gateway(config, clock=clock, database_url=database_url,
                 adapters=[(PartnerAdapter(config.channels.partner, allow_private_hosts=True), []),
                           (citizen, ["/webhooks/memory"]), (slack, list(SlackAdapter.WEBHOOK_PATHS)),
                           *(extra or [])],
                 adapter_deps={"allow_private_hosts": True})
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    from bot.http.app import create_app

    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(gw)), base_url="http://aduan.test")
    desk = Desk(gw, client, api, clock, citizen)
    expect_slack(api, desk.files, desk.post_failures)
    return gw, desk


@pytest.fixture
async def desk(staff_config: Any, database_url: str, clock: FakeClock, slack_api: FakeAPI,
               photo_caps: bool) -> AsyncIterator[Desk]:
    gw, d = await build_desk(staff_config, database_url, clock, slack_api, citizen_adapter(photo_caps))
    try:
        yield d
    finally:
        await d.client.aclose()
        await gw.stop()
    assert not slack_api.unexpected, [(r.method, r.path) for r in slack_api.unexpected]
