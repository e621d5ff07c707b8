"""Long polling against FakeAPI with an in-memory intake sink."""
from __future__ import annotations

import asyncio
from typing import Any

from adapters.telegram import TelegramAdapter
from adapters.telegram.poller import OFFSET_KEY
from tests.adapters.telegram import payloads as p
from tests.adapters.telegram.conftest import (
    FakeSink,
    SleepRecorder,
    expect_get_me,
    make_settings,
)
from tests.harness.fake_api import FakeAPI, RecordedRequest

CID = p.CITIZEN["id"]


class TelegramQueue:
    """getUpdates as Telegram answers it: unconfirmed updates with id >= offset.

    Polling with an offset confirms (forgets) every update below it.
    """

    def __init__(self, updates: list[dict[str, Any]]) -> None:
        self.updates = list(updates)
        self.offsets: list[int | None] = []

    def handler(self, req: RecordedRequest) -> dict[str, Any]:
        raw = req.form.get("offset")
        offset = int(raw) if raw is not None else None
        self.offsets.append(offset)
        if offset is not None:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        return p.ok(self.updates)


async def start_polling(api: FakeAPI, sink: FakeSink, sleeper: SleepRecorder | None = None, **settings: Any) -> tuple[TelegramAdapter, asyncio.Task[None]]:
    expect_get_me(api)
    api.expect("POST", p.api_path("deleteWebhook"), body=p.ok(True))
    adapter = TelegramAdapter(make_settings(api.base_url, mode="polling", **settings), sleep=sleeper or SleepRecorder())
    await adapter.start()
    return adapter, asyncio.create_task(adapter.run_receiver(sink))


def ids(sink: FakeSink) -> list[str]:
    return [m.external_id for m in sink.submitted]


async def test_restart_neither_loses_nor_repeats() -> None:
    sink = FakeSink()
    first_batch = [p.text_update(100, 1, "Sampah di Jl. Sabang"), p.location_update(101, 2, -6.18, 106.82), p.text_update(102, 3, "/cek JKT-7K3M-QXP4")]
    async with FakeAPI() as api:
        queue = TelegramQueue(first_batch)
        api.expect("POST", p.api_path("getUpdates"), handler=queue.handler, times=None)
        adapter, task = await start_polling(api, sink)
        await sink.wait_state(OFFSET_KEY, "103")
        await adapter.stop()  # cancels the receiver and closes the client
        assert task.cancelled()
        api.verify()
        assert queue.offsets[0] is None  # nothing persisted yet: Telegram's own position
        form = api.matching("POST", p.api_path("getUpdates"))[0].form
        assert form["allowed_updates"] == '["message", "edited_message", "callback_query"]'
        assert form["timeout"] == "0" and form["limit"] == "100"
    assert ids(sink) == [f"{CID}:1", f"{CID}:2", f"{CID}:3"]
    # Durable first, offset second.
    assert sink.events[:2] == [f"submit:{CID}:1,{CID}:2,{CID}:3", "state:103"]

    # The process died before its next poll reached Telegram, so Telegram still
    # holds 100-102 unconfirmed, plus two new updates.
    async with FakeAPI() as api:
        queue = TelegramQueue(first_batch + [p.text_update(103, 4, "Lampu mati"), p.edited_update(104, 4, "Lampu mati di RT 05")])
        api.expect("POST", p.api_path("getUpdates"), handler=queue.handler, times=None)
        adapter, task = await start_polling(api, sink)
        await sink.wait_state(OFFSET_KEY, "105")
        await adapter.stop()
        api.verify()
        assert queue.offsets[0] == 103  # read back from the sink
    assert ids(sink) == [f"{CID}:1", f"{CID}:2", f"{CID}:3", f"{CID}:4", f"{CID}:4"]
    assert [m.is_edit for m in sink.submitted[-2:]] == [False, True]


async def test_repeated_update_ids_are_dropped() -> None:
    sink = FakeSink({OFFSET_KEY: "200"})
    async with FakeAPI() as api:
        # A misbehaving server (or proxy replay) sends old and duplicate ids.
        api.expect("POST", p.api_path("getUpdates"), body=p.ok([
            p.text_update(199, 9, "sudah diterima"),
            p.text_update(200, 10, "baru"),
            p.text_update(200, 10, "baru"),
        ]))
        api.expect("POST", p.api_path("getUpdates"), body=p.ok([]), times=None)
        adapter, task = await start_polling(api, sink)
        await sink.wait_state(OFFSET_KEY, "201")
        await adapter.stop()
        api.verify()
        assert api.matching("POST", p.api_path("getUpdates"))[0].form["offset"] == "200"
    assert ids(sink) == [f"{CID}:10"]


async def test_getupdates_errors_are_retried_with_backoff() -> None:
    sink = FakeSink()
    sleeper = SleepRecorder()
    async with FakeAPI() as api:
        api.expect("POST", p.api_path("getUpdates"), status=429, body=p.error(429, "Too Many Requests: retry after 7", retry_after=7))
        api.expect("POST", p.api_path("getUpdates"), status=502, body="<html>502 Bad Gateway</html>")
        api.expect("POST", p.api_path("getUpdates"), status=500, body=p.error(500, "Internal Server Error"))
        api.expect("POST", p.api_path("getUpdates"), status=409, body=p.error(409, "Conflict: terminated by other getUpdates request"))
        api.expect("POST", p.api_path("getUpdates"), body=p.ok([p.text_update(300, 30, "Banjir di Kampung Melayu")]))
        api.expect("POST", p.api_path("getUpdates"), body=p.ok([]), times=None)
        adapter, task = await start_polling(api, sink, sleeper)
        await sink.wait_state(OFFSET_KEY, "301")
        health = adapter.health()
        await adapter.stop()
        api.verify()
    assert sleeper.delays == [7.0, 1.0, 2.0, 4.0]  # retry_after honoured, then growing backoff
    assert ids(sink) == [f"{CID}:30"]
    assert health["state"] == "ok" and health["offset"] == 301


async def test_backoff_is_capped() -> None:
    sink = FakeSink()
    sleeper = SleepRecorder()
    async with FakeAPI() as api:
        api.expect("POST", p.api_path("getUpdates"), status=502, body="bad gateway", times=6)
        api.expect("POST", p.api_path("getUpdates"), body=p.ok([p.text_update(310, 31, "x")]))
        api.expect("POST", p.api_path("getUpdates"), body=p.ok([]), times=None)
        adapter, task = await start_polling(api, sink, sleeper, poll_retry_max=5.0)
        await sink.wait_state(OFFSET_KEY, "311")
        await adapter.stop()
        api.verify()
    assert sleeper.delays == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


async def test_malformed_update_is_skipped_and_the_rest_delivered() -> None:
    sink = FakeSink()
    async with FakeAPI() as api:
        api.expect("POST", p.api_path("getUpdates"), body=p.ok([
            {"update_id": 400, "message": "garbage"},
            p.text_update(401, 41, "Pohon tumbang"),
            {"update_id": 402, "message": {"message_id": 42}},
            "not even an object",
            p.text_update(403, 43, "Parkir liar"),
        ]))
        api.expect("POST", p.api_path("getUpdates"), body=p.ok([]), times=None)
        adapter, task = await start_polling(api, sink)
        await sink.wait_state(OFFSET_KEY, "404")
        assert not task.done()  # the poller lives on
        await adapter.stop()
        api.verify()
    assert ids(sink) == [f"{CID}:41", f"{CID}:43"]


async def test_intake_failure_polls_the_same_batch_again() -> None:
    sink = FakeSink()
    sink.fail_submits = 1
    sleeper = SleepRecorder()
    async with FakeAPI() as api:
        queue = TelegramQueue([p.text_update(500, 50, "Saluran air mampet")])
        api.expect("POST", p.api_path("getUpdates"), handler=queue.handler, times=None)
        adapter, task = await start_polling(api, sink, sleeper)
        await sink.wait_state(OFFSET_KEY, "501")
        await adapter.stop()
        api.verify()
    assert ids(sink) == [f"{CID}:50"]
    assert sleeper.delays == [1.0]
    assert queue.offsets[:2] == [None, None]  # not confirmed until durable


async def test_polling_photo_and_staff_updates() -> None:
    sink = FakeSink()
    staff_seen: list[int] = []

    async def staff(update):
        staff_seen.append(update.update_id)

    async with FakeAPI() as api:
        api.expect("POST", p.api_path("getUpdates"), body=p.ok([
            p.photo_update(600, 60, "Jalan rusak"),
            p.text_update(601, 3, "ok, ditangani", user=p.OFFICER, chat=p.STAFF_CHAT),
            p.text_update(602, 4, "obrolan grup", chat=p.OTHER_GROUP),
        ]))
        api.expect("POST", p.api_path("getFile"), body=p.get_file_result(p.LARGEST))
        api.expect("GET", p.file_path("photos/file_7.jpg"), body=p.JPEG)
        api.expect("POST", p.api_path("getUpdates"), body=p.ok([]), times=None)
        adapter, task = await start_polling(api, sink)
        adapter.staff_handler = staff
        await sink.wait_state(OFFSET_KEY, "603")
        await adapter.stop()
        api.verify()
    assert ids(sink) == [f"{CID}:60"]
    assert sink.submitted[0].attachments[0].content == p.JPEG
    assert staff_seen == [601]


async def test_webhook_mode_runs_no_receiver(api: FakeAPI) -> None:
    expect_get_me(api)
    adapter = TelegramAdapter(make_settings(api.base_url))
    await adapter.start()
    await asyncio.wait_for(adapter.run_receiver(FakeSink()), 5)  # returns at once, no getUpdates
    await adapter.stop()
    api.verify()
