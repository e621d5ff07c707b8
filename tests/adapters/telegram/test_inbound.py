"""Webhook inbound: real-format Update JSON rows through the shared harness."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from adapters.telegram import TelegramAdapter
from tests.adapters.telegram import payloads as p
from tests.adapters.telegram.conftest import SleepRecorder
from tests.harness.channel_cases import (
    InboundCase,
    MockResponse,
    raw_request,
    run_inbound_case,
)
from tests.harness.fake_api import FakeAPI

PATH = "/webhooks/telegram"
GOOD = {"X-Telegram-Bot-Api-Secret-Token": p.SECRET, "Content-Type": "application/json"}
CITIZEN_ID = p.CITIZEN["id"]


def post(payload: object, headers: dict[str, str] | None = None) -> object:
    body = payload if isinstance(payload, bytes) else p.body(payload)
    return raw_request("POST", PATH, body, headers=GOOD if headers is None else headers)


@dataclass
class Row:
    """An inbound case plus what the fake Bot API answers meanwhile (getFile, download)."""

    case: InboundCase
    responses: list[MockResponse] = field(default_factory=list)
    # Checks on the requests the adapter made, e.g. which file_id it fetched.
    check: Callable[[FakeAPI], bool] | None = None

    def __str__(self) -> str:
        return self.case.label


def single_jpeg(attachments: list) -> bool:
    return len(attachments) == 1 and attachments[0].content_type == "image/jpeg" and attachments[0].content == p.JPEG


PHOTO_DOWNLOAD = [
    MockResponse("POST", p.api_path("getFile"), body=p.get_file_result(p.LARGEST)),
    MockResponse("GET", p.file_path("photos/file_7.jpg"), body=p.JPEG, headers={"Content-Type": "image/jpeg"}),
]

ROWS = [
    Row(InboundCase(
        "text report",
        post(p.text_update(1001, 11, "Ada pohon tumbang di Jl. Kemang Raya, menutup jalan")),
        messages=[dict(
            channel="telegram",
            external_id=f"{CITIZEN_ID}:11",
            sender=str(CITIZEN_ID),
            sender_name="Siti",
            text="Ada pohon tumbang di Jl. Kemang Raya, menutup jalan",
            language="id",
            reply_context={"chat_id": CITIZEN_ID, "message_id": 11},
            received_at=datetime.fromtimestamp(p.DATE, tz=UTC),
            is_edit=False,
            is_location_only=False,
            attachments=[],
            raw=lambda raw: json.loads(raw)["update_id"] == 1001,
        )],
    )),
    Row(InboundCase(
        "english speaker",
        post(p.text_update(1002, 12, "Street light broken", user=p.EXPAT)),
        messages=[dict(language="en", sender_name="John", sender=str(p.EXPAT["id"]))],
    )),
    Row(InboundCase("/start passes through", post(p.text_update(1003, 13, "/start")), messages=[dict(text="/start")])),
    Row(InboundCase(
        "/start with deep-link payload",
        post(p.text_update(1004, 14, "/start lapor")),
        messages=[dict(text="/start lapor")],
    )),
    Row(InboundCase(
        "/cek with tracking id",
        post(p.text_update(1005, 15, "/cek JKT-7K3M-QXP4")),
        messages=[dict(text="/cek JKT-7K3M-QXP4", external_id=f"{CITIZEN_ID}:15")],
    )),
    Row(InboundCase("/lapor", post(p.text_update(1006, 16, "/lapor sampah menumpuk")), messages=[dict(text="/lapor sampah menumpuk")])),
    Row(InboundCase("/bantuan", post(p.text_update(1007, 17, "/bantuan")), messages=[dict(text="/bantuan")])),
    Row(
        InboundCase(
            "photo with caption: largest size downloaded",
            post(p.photo_update(1008, 18, "Sampah menumpuk di depan pasar")),
            messages=[dict(text="Sampah menumpuk di depan pasar", attachments=single_jpeg, reply_context={"chat_id": CITIZEN_ID, "message_id": 18})],
        ),
        PHOTO_DOWNLOAD,
        check=lambda api: api.matching("POST", p.api_path("getFile"))[0].form["file_id"] == p.LARGEST["file_id"],
    ),
    Row(
        InboundCase(
            "photo without caption still carries the photo",
            post(p.photo_update(1009, 19, None)),
            messages=[dict(text="", attachments=single_jpeg)],
        ),
        PHOTO_DOWNLOAD,
    ),
    Row(InboundCase(
        "oversized photo: caption kept, nothing downloaded",
        post(p.photo_update(1010, 20, "Jalan berlubang besar", sizes=[dict(p.LARGEST, file_size=15 * 1024 * 1024)])),
        messages=[dict(text="Jalan berlubang besar", attachments=[], reply_context={"chat_id": CITIZEN_ID, "message_id": 20, "media_errors": ["photo_too_large"]})],
    )),
    Row(
        InboundCase(
            "largest size over the limit: the largest size that fits is downloaded",
            post(p.photo_update(1030, 31, "Trotoar rusak", sizes=[*p.PHOTO_SIZES[:2], dict(p.LARGEST, file_size=12 * 1024 * 1024), p.PHOTO_SIZES[3]])),
            messages=[dict(text="Trotoar rusak", attachments=single_jpeg, reply_context={"chat_id": CITIZEN_ID, "message_id": 31})],
        ),
        [
            MockResponse("POST", p.api_path("getFile"), body=p.get_file_result(p.PHOTO_SIZES[3], "photos/file_8.jpg")),
            MockResponse("GET", p.file_path("photos/file_8.jpg"), body=p.JPEG),
        ],
        check=lambda api: api.matching("POST", p.api_path("getFile"))[0].form["file_id"] == p.PHOTO_SIZES[3]["file_id"],
    ),
    Row(
        InboundCase(
            "photo whose bytes are not an image",
            post(p.photo_update(1011, 21, "Genangan air")),
            messages=[dict(attachments=[], reply_context=lambda rc: rc["media_errors"] == ["photo_not_an_image"])],
        ),
        [PHOTO_DOWNLOAD[0], MockResponse("GET", p.file_path("photos/file_7.jpg"), body=b"<html>nope</html>")],
    ),
    Row(
        InboundCase(
            "getFile refused: caption kept",
            post(p.photo_update(1012, 22, "Lampu PJU mati")),
            messages=[dict(text="Lampu PJU mati", reply_context=lambda rc: rc["media_errors"] == ["photo_download_failed"])],
        ),
        [MockResponse("POST", p.api_path("getFile"), status=400, body=p.error(400, "Bad Request: file is too big"))],
    ),
    Row(
        InboundCase(
            "image sent as a file (document)",
            post(p.update(1013, message=p.message(23, caption="Parkir liar", document={
                "file_name": "IMG_2041.jpg", "mime_type": "image/jpeg", "file_id": "BQACAgUAAxkBAAIC", "file_unique_id": "AgADdoc", "file_size": 91_204,
            }))),
            messages=[dict(text="Parkir liar", attachments=lambda a: len(a) == 1 and a[0].filename == "telegram-AgADdoc.jpg")],
        ),
        [
            MockResponse("POST", p.api_path("getFile"), body=p.ok({"file_id": "BQACAgUAAxkBAAIC", "file_unique_id": "AgADdoc", "file_size": 91_204, "file_path": "documents/file_3.jpg"})),
            MockResponse("GET", p.file_path("documents/file_3.jpg"), body=p.JPEG),
        ],
    ),
    Row(InboundCase(
        "voice note: unsupported, flagged for the core",
        post(p.update(1014, message=p.message(24, voice={"duration": 4, "mime_type": "audio/ogg", "file_id": "AwACAgUAAxk", "file_unique_id": "AgADvoice", "file_size": 9_000}))),
        messages=[dict(text="", attachments=[], reply_context=lambda rc: rc["media_errors"] == ["unsupported_content:voice"])],
    )),
    Row(InboundCase(
        "shared location",
        post(p.location_update(1015, 25, -6.2607, 106.7816)),
        messages=[dict(text="", latitude=-6.2607, longitude=106.7816, is_location_only=True, external_id=f"{CITIZEN_ID}:25")],
    )),
    Row(InboundCase(
        "venue: coordinates plus title and address",
        post(p.venue_update(1016, 26)),
        messages=[dict(
            text="Monumen Nasional, Gambir, Jakarta Pusat",
            latitude=-6.175392,
            longitude=106.827153,
            is_location_only=True,
        )],
    )),
    Row(InboundCase(
        "edited message keeps the original external_id",
        post(p.edited_update(1017, 11, "Ada pohon tumbang di Jl. Kemang Raya no. 8")),
        messages=[dict(
            external_id=f"{CITIZEN_ID}:11",
            is_edit=True,
            text="Ada pohon tumbang di Jl. Kemang Raya no. 8",
            received_at=datetime.fromtimestamp(p.DATE + 120, tz=UTC),
        )],
    )),
    Row(
        InboundCase(
            "rating button press (callback_query): its data is the text, answered once",
            post(p.callback_update(1030, "4382bfdwdsb323b2d9", "NILAI JKT-7K3M-QXP2 4")),
            messages=[dict(channel="telegram", external_id="callback:4382bfdwdsb323b2d9", sender=str(CITIZEN_ID),
                           text="NILAI JKT-7K3M-QXP2 4", sender_name="Siti", language="id",
                           reply_context={"chat_id": CITIZEN_ID, "callback_query_id": "4382bfdwdsb323b2d9",
                                          "message_id": 900})],
        ),
        responses=[MockResponse("POST", p.api_path("answerCallbackQuery"), body=p.ok(True))],
        check=lambda api: [r.form.get("callback_query_id") for r in api.matching("POST", p.api_path("answerCallbackQuery"))]
        == ["4382bfdwdsb323b2d9"],
    ),
    Row(
        InboundCase(
            "button press answered even when answerCallbackQuery fails (query too old)",
            post(p.callback_update(1031, "4382bfdwdsb323b2e0", "NILAI JKT-7K3M-QXP2 1")),
            messages=[dict(external_id="callback:4382bfdwdsb323b2e0", text="NILAI JKT-7K3M-QXP2 1")],
        ),
        responses=[MockResponse("POST", p.api_path("answerCallbackQuery"), status=400,
                                body=p.error(400, "Bad Request: query is too old and response timeout expired"))],
    ),
    Row(InboundCase("button press in a group ignored",
                    post(p.callback_update(1032, "99", "NILAI JKT-7K3M-QXP2 4", chat=p.OTHER_GROUP)))),
    Row(InboundCase("group message ignored", post(p.text_update(1018, 5, "halo semua", chat=p.OTHER_GROUP)))),
    Row(InboundCase("channel post ignored", post(p.update(1019, channel_post=p.message(6, user=None, chat=p.CHANNEL, text="Pengumuman"))))),
    Row(InboundCase("service message without content ignored", post(p.update(1020, message=p.message(27, new_chat_title="x"))))),
    Row(InboundCase("unknown update type: 200, ignored", post({"update_id": 1021, "some_future_update": {"id": 1}}))),
    Row(InboundCase("known but irrelevant update type ignored", post(p.update(1022, poll={
        "id": "5", "question": "?", "options": [], "total_voter_count": 0, "is_closed": False, "is_anonymous": True, "type": "regular", "allows_multiple_answers": False,
    })))),
    Row(InboundCase("malformed update content: 200, skipped", post({"update_id": 1023, "message": {"message_id": 1}}))),
    Row(InboundCase("malformed JSON", post(b'{"update_id": 1024, "message": '), status=400)),
    Row(InboundCase("JSON that is not an object", post([1, 2]), status=400)),
    # Issue 10: deep nesting was a RecursionError (500); now a 400 with a reason.
    Row(InboundCase("1,000 nested brackets", post(b"[" * 1000), status=400)),
    Row(InboundCase("100,000 nested brackets", post(b"[" * 100_000), status=400)),
    Row(InboundCase("deep nesting inside an update", post(b'{"update_id": 1, "message": ' + b'{"a": ' * 1000), status=400)),
    Row(InboundCase("no update_id", post({"message": {}}), status=400)),
    Row(InboundCase("body not UTF-8", post(b"\xff\xfe\x00"), status=400)),
    Row(InboundCase("missing secret token", post(p.text_update(1025, 28, "x"), headers={}), status=403)),
    Row(InboundCase("forged secret token", post(p.text_update(1026, 29, "x"), headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}), status=403)),
    Row(InboundCase(
        "secret of the right length but wrong",
        post(p.text_update(1027, 30, "x"), headers={"X-Telegram-Bot-Api-Secret-Token": "A" * len(p.SECRET)}),
        status=403,
    )),
    Row(InboundCase("GET is not an update", raw_request("GET", PATH, headers=GOOD), status=405)),
]


@pytest.mark.parametrize("row", ROWS, ids=str)
async def test_webhook_inbound(row: Row, api: FakeAPI, webhook_adapter: TelegramAdapter) -> None:
    for r in row.responses:
        api.expect(r.method, r.path, status=r.status, body=r.body, headers=r.headers)
    await run_inbound_case(webhook_adapter, row.case)
    api.verify()
    if row.check is not None:
        assert row.check(api), f"{row.case.label}: request check failed"


async def test_photo_download_retries_transient_errors(api: FakeAPI, webhook_adapter: TelegramAdapter, sleeper: SleepRecorder) -> None:
    api.expect("POST", p.api_path("getFile"), status=502, body="<html>Bad Gateway</html>")
    api.expect("POST", p.api_path("getFile"), status=429, body=p.error(429, "Too Many Requests: retry after 3", retry_after=3))
    for r in PHOTO_DOWNLOAD:
        api.expect(r.method, r.path, body=r.body)
    result = await webhook_adapter.handle_webhook(post(p.photo_update(1100, 40, "Banjir")))
    assert single_jpeg(result.messages[0].attachments)
    assert sleeper.delays == [1.0, 3.0]
    api.verify()


async def test_photo_download_gives_up_after_attempts(api: FakeAPI, webhook_adapter: TelegramAdapter, sleeper: SleepRecorder) -> None:
    api.expect("POST", p.api_path("getFile"), status=500, body=p.error(500, "Internal Server Error"), times=3)
    result = await webhook_adapter.handle_webhook(post(p.photo_update(1101, 41, "Banjir")))
    assert result.status == 200
    assert result.messages[0].text == "Banjir"
    assert result.messages[0].reply_context["media_errors"] == ["photo_download_failed"]
    assert sleeper.delays == [1.0, 2.0]
    api.verify()


async def test_staff_group_update_goes_to_staff_handler(webhook_adapter: TelegramAdapter) -> None:
    seen = []

    async def staff(update):  # the staff feature's handler
        seen.append(update)

    webhook_adapter.staff_handler = staff
    payload = p.text_update(1200, 50, "/tugas JKT-7K3M-QXP4 selesai", user=p.OFFICER, chat=p.STAFF_CHAT)
    result = await webhook_adapter.handle_webhook(post(payload))
    assert result.status == 200 and result.messages == []
    assert [u.update_id for u in seen] == [1200]
    assert seen[0].effective_message.text == "/tugas JKT-7K3M-QXP4 selesai"
    # Telegram redelivers when our answer was lost: the handler runs once.
    again = await webhook_adapter.handle_webhook(post(payload))
    assert again.status == 200 and len(seen) == 1


async def test_staff_update_without_handler_is_dropped(webhook_adapter: TelegramAdapter) -> None:
    result = await webhook_adapter.handle_webhook(post(p.text_update(1201, 51, "halo", user=p.OFFICER, chat=p.STAFF_CHAT)))
    assert result.status == 200 and result.messages == []


async def test_failing_staff_handler_never_breaks_the_webhook(webhook_adapter: TelegramAdapter) -> None:
    async def broken(update):
        raise RuntimeError("staff feature bug")

    webhook_adapter.staff_handler = broken
    result = await webhook_adapter.handle_webhook(post(p.text_update(1202, 52, "x", user=p.OFFICER, chat=p.STAFF_CHAT)))
    assert result.status == 200


async def test_repeated_citizen_update_yields_the_same_external_id(webhook_adapter: TelegramAdapter) -> None:
    # The core's UNIQUE (channel, external_id) turns the repeat into a no-op;
    # the adapter cannot know whether the first delivery became durable.
    payload = p.text_update(1300, 60, "Pohon tumbang")
    first = await webhook_adapter.handle_webhook(post(payload))
    second = await webhook_adapter.handle_webhook(post(payload))
    assert [m.external_id for m in first.messages] == [m.external_id for m in second.messages] == [f"{CITIZEN_ID}:60"]


async def test_polling_mode_accepts_no_webhook(api: FakeAPI) -> None:
    from tests.adapters.telegram.conftest import expect_get_me, make_settings

    expect_get_me(api)
    adapter = TelegramAdapter(make_settings(api.base_url, mode="polling", webhook_secret=None))
    await adapter.start()
    try:
        await run_inbound_case(adapter, InboundCase("no secret configured", post(p.text_update(1400, 70, "x")), status=403))
    finally:
        await adapter.stop()
