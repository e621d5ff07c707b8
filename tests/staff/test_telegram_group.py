"""The Telegram staff group: the same commands, a captioned photo as the proof, answers in the group."""
from __future__ import annotations

import hashlib
import itertools
from typing import Any, AsyncIterator

import pytest

from adapters.telegram import TelegramAdapter
from tests.adapters.telegram.conftest import make_settings
from tests.adapters.telegram.payloads import (
    BOT_USER,
    SECRET,
    STAFF_CHAT,
    STAFF_CHAT_ID,
    api_path,
    file_path,
    message,
    ok,
    update,
)
from tests.harness.fake_api import RecordedRequest
from tests.staff.conftest import IDENTITY, REPORTER_PHONE, Desk, build_desk, citizen_adapter, jpeg, picture

OFFICER = {"id": 7770002, "is_bot": False, "first_name": "Budi", "username": "budi_dlh", "language_code": "id"}
VALIDATOR = {"id": 7770009, "is_bot": False, "first_name": "Vina", "username": "vina_biro"}
STRANGER = {"id": 7779999, "is_bot": False, "first_name": "Orang", "username": "orang_lain"}


@pytest.fixture
async def tg_desk(staff_config, database_url, clock, slack_api) -> AsyncIterator[Desk]:
    counter = itertools.count(500)

    def sent(req: RecordedRequest) -> Any:
        body = req.json if req.headers.get("content-type", "").startswith("application/json") else req.form
        return ok({"message_id": next(counter), "date": 1772413200, "chat": STAFF_CHAT, "text": body.get("text", "")})

    slack_api.expect("POST", api_path("getMe"), body=ok(BOT_USER))
    slack_api.expect("POST", api_path("sendMessage"), handler=sent, times=None)
    telegram = TelegramAdapter(make_settings(slack_api.base_url))
    gw, desk = await build_desk(staff_config, database_url, clock, slack_api, citizen_adapter(True),
                                extra=[(telegram, ["/webhooks/telegram"])])
    try:
        yield desk
    finally:
        await desk.client.aclose()
        await gw.stop()


_ids = itertools.count(90001)


async def group(desk: Desk, user: dict[str, Any], **content: Any) -> None:
    n = next(_ids)
    if "text" in content and content["text"].startswith("/"):
        content["entities"] = [{"offset": 0, "length": len(content["text"].split()[0]), "type": "bot_command"}]
    payload = update(n, message=message(n, user=user, chat=STAFF_CHAT, **content))
    import json

    resp = await desk.client.post("/webhooks/telegram", content=json.dumps(payload).encode(),
                                  headers={"content-type": "application/json",
                                           "x-telegram-bot-api-secret-token": SECRET})
    assert resp.status_code == 200, resp.text
    await desk.pump()


def answers(desk: Desk) -> list[str]:
    out = []
    for r in desk.api.matching("POST", api_path("sendMessage")):
        body = r.json if r.headers.get("content-type", "").startswith("application/json") else r.form
        assert str(body["chat_id"]) == str(STAFF_CHAT_ID)
        out.append(body["text"])
    return out


async def test_commands_from_the_staff_group(tg_desk):
    tid = await tg_desk.report()
    await group(tg_desk, OFFICER, text=f"/lihat@AduanJktBot {tid}")
    assert answers(tg_desk)[-1].startswith(f"{tid} - Menunggu")
    await group(tg_desk, OFFICER, text=f"/aduan proses {tid}")
    assert answers(tg_desk)[-1] == f"Laporan {tid} sekarang berstatus Proses."
    assert (await tg_desk.ticket(tid))["status"] == "PROSES"
    event = [e for e in await tg_desk.events(tid) if e["to_status"] == "PROSES"][0]
    assert event["actor"] == "staff:dlh-1"
    for text in answers(tg_desk):
        for secret in IDENTITY:
            assert secret not in text


# (At most three answers per test: the core paces messages to one Telegram chat.)
async def test_usage_strangers_and_chatter_in_the_staff_group(tg_desk):
    tid = await tg_desk.report()
    await group(tg_desk, OFFICER, text="/aduan lihat")
    assert answers(tg_desk)[-1].startswith("Format: /aduan lihat <nomor>")
    await group(tg_desk, STRANGER, text=f"/proses {tid}")
    assert "tidak terdaftar sebagai petugas" in answers(tg_desk)[-1]
    count = len(answers(tg_desk))
    await group(tg_desk, OFFICER, text="siang semua, truk sampah sudah jalan")  # chatter: ignored
    await group(tg_desk, OFFICER, text=f"/lihat@OtherBot {tid}")  # another bot's command
    await group(tg_desk, OFFICER, text="/start")
    assert len(answers(tg_desk)) == count
    assert (await tg_desk.ticket(tid))["status"] == "MENUNGGU"


async def test_photo_captioned_done_is_the_proof(tg_desk):
    tid = await tg_desk.report()
    await group(tg_desk, OFFICER, text=f"/proses {tid}")
    photo = jpeg(picture(51), gps=True)
    sizes = [{"file_id": "AgACAgUAAxkBAAIC-s", "file_unique_id": "AQADbukti-s", "file_size": 1200, "width": 90,
              "height": 68},
             {"file_id": "AgACAgUAAxkBAAIC-y", "file_unique_id": "AQADbukti-y", "file_size": len(photo),
              "width": 256, "height": 192}]
    tg_desk.api.expect("POST", api_path("getFile"), body=ok({"file_id": sizes[1]["file_id"],
                                                              "file_unique_id": sizes[1]["file_unique_id"],
                                                              "file_size": len(photo), "file_path": "photos/file_9.jpg"}))
    tg_desk.api.expect("GET", file_path("photos/file_9.jpg"), body=photo)
    await group(tg_desk, OFFICER, photo=sizes, caption=f"/selesai {tid} sampah sudah diangkut")
    assert answers(tg_desk)[-1] == f"Bukti untuk {tid} terkirim; menunggu validasi."
    (get_file,) = tg_desk.api.matching("POST", api_path("getFile"))
    assert "AgACAgUAAxkBAAIC-y" in get_file.body.decode()  # the largest size
    t = await tg_desk.ticket(tid)
    assert t["status"] == "MENUNGGU_VALIDASI"
    (proof,) = await tg_desk.attachments(tid)
    assert proof["kind"] == "proof" and proof["sha256"] == hashlib.sha256(photo).hexdigest() and proof["phash"]

    await group(tg_desk, VALIDATOR, text=f"/aduan validasi {tid}")
    assert answers(tg_desk)[-1] == f"Laporan {tid} divalidasi dan SELESAI. Pelapor menerima foto bukti."
    done = [m for m in tg_desk.citizen.sent if m.kind != "rating_ask"][-1]  # the rating ask follows it
    assert done.recipient == REPORTER_PHONE and done.media_path and done.media_path.endswith(".public.jpg")
    # The Slack thread heard about it too.
    assert any("Selesai oleh Validator Biro (validator-1)" in x for x in tg_desk.post_texts("C_DLH"))


async def test_done_without_a_photo_explains(tg_desk):
    tid = await tg_desk.report()
    await group(tg_desk, OFFICER, text=f"/proses {tid}")
    await group(tg_desk, OFFICER, text=f"/done {tid}")
    assert answers(tg_desk)[-1].startswith(f"Foto bukti belum ada untuk {tid}")
    assert (await tg_desk.ticket(tid))["status"] == "PROSES"
