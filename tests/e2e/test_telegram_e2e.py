"""End to end on Telegram: update in (webhook, and long polling across a
restart) -> ticket -> reply with the tracking ID -> status update -> proof
photo delivered as a photo; 429 and 5xx retried then delivered."""
from __future__ import annotations

import asyncio
import itertools

from adapters.telegram import TelegramAdapter, TelegramSettings
from store import repo
from tests.adapters.telegram import payloads as p
from tests.e2e.flow import asgi_client, drain, finish_with_proof, only_ticket, staff_moves, start_gateway, ticket_count
from tests.harness.fake_api import FakeAPI

_ids = itertools.count(1000)


def _sent(req):
    return p.ok({"message_id": next(_ids), "from": p.BOT_USER, "chat": p.private_chat(p.CITIZEN), "date": p.DATE,
                 "text": "ok"})


def _settings(base_url: str, **kw) -> TelegramSettings:
    values = dict(bot_token=p.TOKEN, api_base_url=base_url, mode="webhook", webhook_secret=p.SECRET, poll_timeout=0)
    values.update(kw)
    return TelegramSettings(**values)


async def _webhook(client, update: dict) -> int:
    r = await client.post("/webhooks/telegram", content=p.body(update),
                          headers={"content-type": "application/json", "x-telegram-bot-api-secret-token": p.SECRET})
    return r.status_code


async def test_telegram_citizen_flow(tmp_path, database_url, clock):
    async with FakeAPI() as api:
        api.expect("POST", p.api_path("getMe"), body=p.ok(p.BOT_USER))
        api.expect("POST", p.api_path("sendMessage"), times=None, handler=_sent)
        api.expect("POST", p.api_path("sendPhoto"), times=None, handler=_sent)
        adapter = TelegramAdapter(_settings(api.base_url))
        gw = await start_gateway(tmp_path, database_url, clock, adapter, ["/webhooks/telegram"])
        try:
            async with asgi_client(gw) as client:
                update = p.text_update(1, 11, "Lampu jalan mati sepanjang Jl. Cikini Raya Kel. Cikini")
                assert await _webhook(client, update) == 200
                assert await _webhook(client, update) == 200  # Telegram retried: one ticket, one reply
                assert await _webhook(client, p.location_update(2, 12, -6.1903, 106.8410)) == 200
            assert await ticket_count(gw) == 1
            ticket = await only_ticket(gw)
            assert (ticket["latitude"], ticket["longitude"]) == (-6.1903, 106.8410)  # the location joined the report
            await drain(gw)
            texts = [r.form.get("text") or r.json.get("text") for r in api.matching("POST", p.api_path("sendMessage"))]
            assert ticket["tracking_id"] in texts[0]
            assert sum(1 for t in texts if "diterima. Nomor" in t) == 1

            await staff_moves(gw, ticket["tracking_id"], "PROSES")
            await drain(gw)
            last = api.matching("POST", p.api_path("sendMessage"))[-1]
            assert "Proses" in (last.form.get("text") or last.json.get("text"))

            await finish_with_proof(gw, ticket["tracking_id"])
            await drain(gw)
            (photo,) = api.matching("POST", p.api_path("sendPhoto"))
            assert photo.headers["content-type"].startswith("multipart/form-data")
            assert b"\xff\xd8\xff" in photo.body  # the JPEG itself went out as a photo
            assert ticket["tracking_id"].encode() in photo.body
            api.verify()
        finally:
            await gw.stop()


async def test_429_and_5xx_are_retried_then_delivered(tmp_path, database_url, clock):
    async with FakeAPI() as api:
        api.expect("POST", p.api_path("getMe"), body=p.ok(p.BOT_USER))
        api.expect("POST", p.api_path("sendMessage"), status=429,
                   body=p.error(429, "Too Many Requests: retry after 9", retry_after=9))
        api.expect("POST", p.api_path("sendMessage"), status=502, body=p.error(502, "Bad Gateway"))
        api.expect("POST", p.api_path("sendMessage"), handler=_sent)
        gw = await start_gateway(tmp_path, database_url, clock, TelegramAdapter(_settings(api.base_url)),
                                 ["/webhooks/telegram"])
        try:
            async with asgi_client(gw) as client:
                assert await _webhook(client, p.text_update(5, 50, "Sampah numpuk di Kel. Bangka")) == 200
            await gw.dispatcher.run_once()  # 429: throttled for retry_after
            clock.advance(seconds=8)
            assert await gw.dispatcher.run_once() == 0
            clock.advance(seconds=2)
            await gw.dispatcher.run_once()  # 502: transient
            clock.advance(seconds=gw.config.outbox.backoff_max_seconds)
            await gw.dispatcher.run_once()
            assert len(api.matching("POST", p.api_path("sendMessage"))) == 3
            api.verify()
        finally:
            await gw.stop()


async def test_long_polling_restart_loses_and_repeats_nothing(tmp_path, database_url, clock):
    batches = [[p.text_update(100, 1, "Pohon tumbang di Kel. Cipete Utara"),
                p.text_update(101, 2, "Got mampet di Kel. Menteng", chat=p.private_chat(p.EXPAT), user=p.EXPAT)],
               [p.text_update(102, 3, "Parkir liar di Kel. Kebon Sirih", chat=p.private_chat(p.OFFICER),
                              user=p.OFFICER)]]
    offsets: list[int | None] = []
    released = [1]  # how many batches the fake Telegram has received so far

    def get_updates(req):
        offset = (req.json or {}).get("offset") if req.body.startswith(b"{") else int(req.form.get("offset") or 0)
        offsets.append(offset)
        pending = [u for batch in batches[:released[0]] for u in batch if u["update_id"] >= (offset or 0)]
        return p.ok(pending[:2])

    async def run_until(gw, adapter, count: int, offset: int) -> None:
        task = asyncio.create_task(adapter.run_receiver(gw.intake))
        try:
            for _ in range(1000):
                state = await gw.intake.get_state("telegram:offset")
                if await ticket_count(gw) >= count and state is not None and int(state) >= offset:
                    break
                await asyncio.sleep(0.01)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async with FakeAPI() as api:
        api.expect("POST", p.api_path("getMe"), body=p.ok(p.BOT_USER), times=None)
        api.expect("POST", p.api_path("deleteWebhook"), body=p.ok(True), times=None)
        api.expect("POST", p.api_path("getUpdates"), times=None, handler=get_updates)
        first = TelegramAdapter(_settings(api.base_url, mode="polling", webhook_secret=None))
        gw = await start_gateway(tmp_path, database_url, clock, first, [])
        try:
            await run_until(gw, first, 2, 102)
            await first.stop()
            state = await gw.intake.get_state("telegram:offset")
            assert state is not None and int(state) >= 102
            # A new process (new adapter) resumes from the persisted offset.
            mark = len(offsets)
            released[0] = 2  # a new message arrives while the gateway is down
            second = TelegramAdapter(_settings(api.base_url, mode="polling", webhook_secret=None))
            await second.start()
            await run_until(gw, second, 3, 103)
            await second.stop()
            # Every update became exactly one stored message and one ticket: nothing lost, nothing repeated.
            from sqlalchemy import func, select

            inbound = await gw.db.read(lambda c: c.execute(select(func.count()).select_from(repo.T_MESSAGE).where(
                repo.T_MESSAGE.c.direction == "in")).scalar_one())
            assert inbound == 3 and await ticket_count(gw) == 3
        finally:
            await gw.stop()
    # The second process asked from the persisted offset, never from the start.
    assert offsets[mark] == 102
