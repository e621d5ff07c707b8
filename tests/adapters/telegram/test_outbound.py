"""Outbound: the real PTB client against FakeAPI, one table of cases."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.errors import PermanentError, RecipientBlocked, Throttled, TransientError
from adapters.telegram import TelegramAdapter
from bot.models import OutboundMessage
from tests.adapters.telegram import payloads as p
from tests.adapters.telegram.conftest import expect_get_me, make_settings
from tests.harness.channel_cases import (
    ExpectedRequest,
    MockResponse,
    OutboundCase,
    run_outbound_case,
)
from tests.harness.fake_api import FakeAPI, RecordedRequest

PROOF = Path(__file__).parent / "fixtures" / "proof.jpg"
CHAT = p.CITIZEN["id"]
GET_ME = MockResponse("POST", p.api_path("getMe"), body=p.ok(p.BOT_USER))
GET_ME_SENT = ExpectedRequest("POST", p.api_path("getMe"))
LONG = "Laporan JKT-7K3M-QXP4 sudah selesai ditangani. " * 40  # ~1,900 chars


def sent_message(message_id: int, **content: object) -> dict:
    return p.ok({"message_id": message_id, "from": p.BOT_USER, "chat": p.private_chat(p.CITIZEN), "date": p.DATE, **content})


def out(text: str = "Laporan Anda diterima: JKT-7K3M-QXP4", **kw: object) -> OutboundMessage:
    return OutboundMessage(id=1, channel="telegram", recipient=str(CHAT), text=text, **kw)  # type: ignore[arg-type]


def multipart_has(*needles: bytes):
    def check(req: RecordedRequest) -> bool:
        return req.headers.get("content-type", "").startswith("multipart/form-data") and all(n in req.body for n in needles)

    return check


def caption_of(req: RecordedRequest) -> str:
    part = req.body.split(b'name="caption"', 1)[1]
    return part.split(b"\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0].decode()


BUTTONS = [{"label": str(n), "text": f"NILAI JKT-7K3M-QXP4 {n}"} for n in range(1, 6)]


def rating_keyboard(req: RecordedRequest) -> bool:
    markup = json.loads(req.form["reply_markup"])
    return markup == {"inline_keyboard": [[{"text": str(n), "callback_data": f"NILAI JKT-7K3M-QXP4 {n}"}
                                           for n in range(1, 6)]]}


CASES = [
    OutboundCase(
        "rating ask: payload buttons as one row of inline keyboard buttons",
        out("Bagaimana penanganan laporan JKT-7K3M-QXP4?", kind="rating_ask", payload={"buttons": BUTTONS}),
        [GET_ME, MockResponse("POST", p.api_path("sendMessage"), body=sent_message(4250, text="Bagaimana"))],
        [GET_ME_SENT, ExpectedRequest("POST", p.api_path("sendMessage"), check=rating_keyboard)],
        result=f"{CHAT}:4250",
    ),
    OutboundCase(
        "text via sendMessage",
        out(),
        [GET_ME, MockResponse("POST", p.api_path("sendMessage"), body=sent_message(4242, text="Laporan Anda diterima: JKT-7K3M-QXP4"))],
        [GET_ME_SENT, ExpectedRequest("POST", p.api_path("sendMessage"), form={"chat_id": str(CHAT), "text": "Laporan Anda diterima: JKT-7K3M-QXP4"},
                                      check=lambda r: "parse_mode" not in r.form)],
        result=f"{CHAT}:4242",
    ),
    OutboundCase(
        "proof photo via sendPhoto multipart, caption cut to 1024",
        out(LONG, media_path=str(PROOF), media_content_type="image/jpeg"),
        [GET_ME, MockResponse("POST", p.api_path("sendPhoto"), body=sent_message(4243, photo=p.PHOTO_SIZES, caption="..."))],
        [GET_ME_SENT, ExpectedRequest(
            "POST", p.api_path("sendPhoto"),
            check=lambda r: multipart_has(PROOF.read_bytes(), b'name="chat_id"', b'filename="proof.jpg"')(r)
            and 1000 < len(caption_of(r)) <= 1024 and caption_of(r).endswith("…"),
        )],
        result=f"{CHAT}:4243",
    ),
    OutboundCase(
        "photo by URL when there is no local file",
        out("Bukti penanganan", media_url="https://aduan.example/p/abc.jpg"),
        [GET_ME, MockResponse("POST", p.api_path("sendPhoto"), body=sent_message(4244, photo=p.PHOTO_SIZES))],
        [GET_ME_SENT, ExpectedRequest("POST", p.api_path("sendPhoto"), form={"photo": "https://aduan.example/p/abc.jpg", "caption": "Bukti penanganan"})],
        result=f"{CHAT}:4244",
    ),
    OutboundCase(
        "429 with retry_after -> Throttled, no retry by PTB",
        out(),
        [GET_ME, MockResponse("POST", p.api_path("sendMessage"), status=429, body=p.error(429, "Too Many Requests: retry after 17", retry_after=17))],
        [GET_ME_SENT, ExpectedRequest("POST", p.api_path("sendMessage"))],
        result=Throttled,
    ),
    OutboundCase(
        "403 blocked by the user -> RecipientBlocked",
        out(),
        [GET_ME, MockResponse("POST", p.api_path("sendMessage"), status=403, body=p.error(403, "Forbidden: bot was blocked by the user"))],
        [GET_ME_SENT, ExpectedRequest("POST", p.api_path("sendMessage"))],
        result=RecipientBlocked,
    ),
    OutboundCase(
        "502 -> TransientError",
        out(),
        [GET_ME, MockResponse("POST", p.api_path("sendMessage"), status=502, body="<html><body>502 Bad Gateway</body></html>")],
        [GET_ME_SENT, ExpectedRequest("POST", p.api_path("sendMessage"))],
        result=TransientError,
    ),
    OutboundCase(
        "500 JSON -> TransientError",
        out(),
        [GET_ME, MockResponse("POST", p.api_path("sendMessage"), status=500, body=p.error(500, "Internal Server Error"))],
        [GET_ME_SENT, ExpectedRequest("POST", p.api_path("sendMessage"))],
        result=TransientError,
    ),
    OutboundCase(
        "400 chat not found -> PermanentError",
        out(),
        [GET_ME, MockResponse("POST", p.api_path("sendMessage"), status=400, body=p.error(400, "Bad Request: chat not found"))],
        [GET_ME_SENT, ExpectedRequest("POST", p.api_path("sendMessage"))],
        result=PermanentError,
    ),
    OutboundCase(
        "401 revoked token -> TransientError (configuration, not the message)",
        out(),
        [GET_ME, MockResponse("POST", p.api_path("sendMessage"), status=401, body=p.error(401, "Unauthorized"))],
        [GET_ME_SENT, ExpectedRequest("POST", p.api_path("sendMessage"))],
        result=TransientError,
    ),
    OutboundCase(
        "recipient that is not a chat id -> PermanentError, nothing sent",
        OutboundMessage(id=2, channel="telegram", recipient="+6281234567", text="x"),
        [GET_ME],
        [GET_ME_SENT],
        result=PermanentError,
    ),
    OutboundCase(
        "missing photo file -> PermanentError, nothing sent",
        out(media_path="/nonexistent/proof.jpg"),
        [GET_ME],
        [GET_ME_SENT],
        result=PermanentError,
    ),
]


async def make_adapter(base_url: str) -> TelegramAdapter:
    adapter = TelegramAdapter(make_settings(base_url))
    await adapter.start()  # getMe
    return adapter


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_outbound(case: OutboundCase) -> None:
    await run_outbound_case(make_adapter, case)


async def test_throttled_carries_retry_after(api: FakeAPI) -> None:
    expect_get_me(api)
    api.expect("POST", p.api_path("sendMessage"), status=429, body=p.error(429, "Too Many Requests: retry after 17", retry_after=17))
    adapter = await make_adapter(api.base_url)
    try:
        with pytest.raises(Throttled) as info:
            await adapter.send(out())
    finally:
        await adapter.stop()
    assert info.value.retry_after == 17.0
    api.verify()


async def test_start_registers_webhook_when_url_set(api: FakeAPI) -> None:
    expect_get_me(api)
    api.expect("POST", p.api_path("setWebhook"), body=p.ok(True))
    adapter = TelegramAdapter(make_settings(api.base_url, webhook_url="https://aduan.example/webhooks/telegram"))
    await adapter.start()
    await adapter.stop()
    api.verify()
    form = api.matching("POST", p.api_path("setWebhook"))[0].form
    assert form["url"] == "https://aduan.example/webhooks/telegram"
    assert form["secret_token"] == p.SECRET
    assert form["allowed_updates"] == '["message", "edited_message", "callback_query"]'


async def test_text_fits_counts_utf16_units(api: FakeAPI) -> None:
    adapter = TelegramAdapter(make_settings(api.base_url))
    assert adapter.text_fits("a" * 4096, "telegram")
    assert not adapter.text_fits("a" * 4097, "telegram")
    assert not adapter.text_fits("🚧" * 2049, "telegram")  # 4098 UTF-16 units
    caps = adapter.capabilities_for("telegram")
    assert (caps.max_text_length, caps.photo_caption_max, caps.split_long_text, caps.supports_photo) == (4096, 1024, True, True)
    assert (caps.rate_per_second, caps.per_recipient_per_second) == (30.0, 1.0)
