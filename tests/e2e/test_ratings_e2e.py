"""Ratings by every channel's reply form (issue 15, point 4), end to end through each real adapter.

One table: each row is a channel scene (the real adapter against its local fake provider, inside a
gateway) that can post a citizen's message in the provider's own format, and the rating reply to
post once the report is SELESAI: a digit with a comment, a Telegram inline-keyboard press
(callback_query), a Messenger quick reply, an email reply threaded to the ticket. The one-click
page for email and SMS is tested in tests/web/test_rating_page.py.
"""
from __future__ import annotations

import asyncio
import copy
import email
import itertools
import json
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.gateway import Gateway
from store import figures, repo
from tests.e2e.flow import asgi_client, drain, only_ticket, start_gateway, staff_moves
from tests.harness.fake_api import FakeAPI

REPORT = "Lampu jalan mati di Jl. Kemang Raya Kel. Bangka sejak seminggu"
Post = Callable[[str, int], Awaitable[None]]  # (text or button text, sequence number)
_ids = itertools.count(5000)


@dataclass
class Scene:
    gw: Gateway
    write: Post  # the citizen types a message
    press: Post | None = None  # the citizen presses a button carrying this text
    api: Any = None


# --- the scenes: one real adapter each ------------------------------------------------------

@asynccontextmanager
async def telegram(tmp_path: Path, database_url: str, clock: Any) -> AsyncIterator[Scene]:
    from adapters.telegram import TelegramAdapter, TelegramSettings
    from tests.adapters.telegram import payloads as p

    def sent(_req: Any) -> Any:
        return p.ok({"message_id": next(_ids), "from": p.BOT_USER, "chat": p.private_chat(p.CITIZEN),
                     "date": p.DATE, "text": "ok"})

    async with FakeAPI() as api:
        api.expect("POST", p.api_path("getMe"), body=p.ok(p.BOT_USER))
        api.expect("POST", p.api_path("sendMessage"), times=None, handler=sent)
        api.expect("POST", p.api_path("answerCallbackQuery"), times=None, body=p.ok(True))
        adapter = TelegramAdapter(TelegramSettings(bot_token=p.TOKEN, api_base_url=api.base_url, mode="webhook",
                                                   webhook_secret=p.SECRET, poll_timeout=0))
        gw = await start_gateway(tmp_path, database_url, clock, adapter, ["/webhooks/telegram"])
        client = asgi_client(gw)

        async def post(update: dict[str, Any]) -> None:
            r = await client.post("/webhooks/telegram", content=p.body(update), headers={
                "content-type": "application/json", "x-telegram-bot-api-secret-token": p.SECRET})
            assert r.status_code == 200, r.text

        async def write(text: str, n: int) -> None:
            await post(p.text_update(n, 100 + n, text))

        async def press(data: str, n: int) -> None:
            # https://core.telegram.org/bots/api#callbackquery: the press on our message's inline keyboard.
            await post(p.update(n, callback_query={
                "id": f"4382bfdwdsb323b2d9{n}", "from": p.CITIZEN, "chat_instance": "-8243245238212343",
                "data": data, "message": {**p.text_message(900, "Bagaimana penanganan laporan?", user=p.BOT_USER),
                                          "chat": p.private_chat(p.CITIZEN)}}))

        try:
            yield Scene(gw, write, press, api)
        finally:
            await client.aclose()
            await gw.stop()


@asynccontextmanager
async def messenger(tmp_path: Path, database_url: str, clock: Any) -> AsyncIterator[Scene]:
    from adapters.messenger import MessengerAdapter
    from tests.adapters.messenger import payloads as p
    from tests.adapters.messenger.conftest import make_settings
    from tests.harness.graph_fake import GraphFake

    async with GraphFake(token=p.PAGE_TOKEN, now=clock.now) as graph:
        adapter = MessengerAdapter(make_settings(graph.base_url), allow_private_hosts=True)
        gw = await start_gateway(tmp_path, database_url, clock, adapter, [MessengerAdapter.WEBHOOK_PATH])
        client = asgi_client(gw)

        async def post(event: dict[str, Any]) -> None:
            graph.last_inbound[p.PSID] = clock.now()
            request = p.post(p.page(event))
            r = await client.post(p.PATH, content=request.body, headers=request.headers)
            assert r.status_code == 200, r.text

        async def write(text: str, n: int) -> None:
            await post(p.text(f"m_rate{n}", text))

        async def press(data: str, n: int) -> None:
            # A quick reply: the label as text, our payload alongside.
            await post(p.text(f"m_rate{n}", data.rsplit(" ", 1)[-1], quick_reply={"payload": data}))

        try:
            yield Scene(gw, write, press, graph)
        finally:
            await client.aclose()
            await gw.stop()


@asynccontextmanager
async def twilio(tmp_path: Path, database_url: str, clock: Any, whatsapp: bool) -> AsyncIterator[Scene]:
    from adapters.twilio import TwilioAdapter, TwilioNumber, TwilioSettings
    from tests.adapters.twilio.payloads import (ACCOUNT_SID, AUTH_TOKEN, LONG_NUMBER, SHORT_CODE, message_created,
                                                sign, sms_form, whatsapp_form)

    public = "http://aduan.test"
    async with FakeAPI() as api:
        api.expect("POST", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json", status=201, times=None,
                   handler=lambda r: message_created(r.form))
        settings = TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_base_url=api.base_url,
                                  numbers=[TwilioNumber(number=SHORT_CODE, label="lapor-1708"),
                                           TwilioNumber(number=LONG_NUMBER, label="sms-0811", whatsapp=True)])
        adapter = TwilioAdapter(settings, public_base_url=public)
        gw = await start_gateway(tmp_path, database_url, clock, adapter, list(TwilioAdapter.WEBHOOK_PATHS))
        client = asgi_client(gw)

        async def write(text: str, n: int) -> None:
            sid = f"SM{n:032x}"
            form = whatsapp_form(text, sid=sid) if whatsapp else sms_form(text, to=SHORT_CODE, sid=sid)
            r = await client.post("/webhooks/twilio", content=urlencode(form), headers={
                "content-type": "application/x-www-form-urlencoded",
                "x-twilio-signature": sign(f"{public}/webhooks/twilio", form)})
            assert r.status_code == 200, r.text

        try:
            yield Scene(gw, write, None, api)
        finally:
            await client.aclose()
            await gw.stop()


@asynccontextmanager
async def whatsapp_cloud(tmp_path: Path, database_url: str, clock: Any) -> AsyncIterator[Scene]:
    from adapters.whatsapp_cloud import WhatsAppCloudAdapter
    from tests.adapters.whatsapp_cloud import payloads as p
    from tests.adapters.whatsapp_cloud.conftest import FAKE_TEMPLATES, make_settings
    from tests.harness.graph_fake import GraphFake

    async with GraphFake(token=p.TOKEN, now=clock.now, phone_number_id=p.PHONE_NUMBER_ID,
                         wa_templates=dict(FAKE_TEMPLATES)) as graph:
        adapter = WhatsAppCloudAdapter(make_settings(graph.base_url), allow_private_hosts=True)
        gw = await start_gateway(tmp_path, database_url, clock, adapter, [WhatsAppCloudAdapter.WEBHOOK_PATH])
        client = asgi_client(gw)

        async def write(text: str, n: int) -> None:
            graph.last_inbound[p.WA_ID] = clock.now()
            request = p.post(p.envelope(messages=[p.text(f"wamid.rate{n}", text)]))
            r = await client.post(p.PATH, content=request.body, headers=request.headers)
            assert r.status_code == 200, r.text

        try:
            yield Scene(gw, write, None, graph)
        finally:
            await client.aclose()
            await gw.stop()


@asynccontextmanager
async def twitter_dm(tmp_path: Path, database_url: str, clock: Any) -> AsyncIterator[Scene]:
    from adapters.twitter import TwitterAdapter
    from tests.adapters.twitter.support import load, make_settings
    from tests.adapters.twitter.test_webhook import x_signature

    async with FakeAPI() as api:
        api.expect("POST", r"/2/dm_conversations/with/\d+/messages", status=201, times=None, body={
            "data": {"dm_conversation_id": "1111111111-1500000000000000006", "dm_event_id": "1900000000000000001"}})
        adapter = TwitterAdapter(make_settings(api.base_url, poll_mentions=False, poll_dms=False))
        gw = await start_gateway(tmp_path, database_url, clock, adapter, ["/webhooks/twitter"])
        client = asgi_client(gw)
        template = load("aaa_direct_message.json")

        async def write(text: str, n: int) -> None:
            event = copy.deepcopy(template)
            event["direct_message_events"] = event["direct_message_events"][:1]  # the citizen's DM only
            dm = event["direct_message_events"][0]
            dm["id"] = f"18000000000000{n:05d}"
            dm["message_create"]["message_data"]["text"] = text
            body = json.dumps(event).encode()
            r = await client.post("/webhooks/twitter", content=body, headers={
                "content-type": "application/json", "x-twitter-webhooks-signature": x_signature(body)})
            assert r.status_code == 200, r.text

        try:
            yield Scene(gw, write, None, api)
        finally:
            await client.aclose()
            await gw.stop()


@asynccontextmanager
async def email_smtp(tmp_path: Path, database_url: str, clock: Any) -> AsyncIterator[Scene]:
    from tests.adapters.email.harness import OUR_ADDRESS, smtp_deliver
    from tests.e2e.test_email_e2e import maildir_files, maildir_gateway

    async with maildir_gateway(tmp_path, database_url, clock) as (gw, port):
        async def write(text: str, n: int) -> None:
            m = EmailMessage()
            m["From"] = "Siti Rahma <siti.rahma@example.com>"
            m["To"] = OUR_ADDRESS
            m["Message-ID"] = f"<rate-{n}@example.com>"
            m["Date"] = "Sat, 28 Nov 2026 08:00:00 +0700"
            await drain(gw)
            ours = [email.message_from_bytes(f.read_bytes(), policy=default) for f in maildir_files(tmp_path)]
            if ours:  # a reply to our latest mail, quoting it, as mail programs do
                last = max(ours, key=lambda mm: str(mm["Date"]))
                m["Subject"] = "Re: " + str(last["Subject"])
                m["In-Reply-To"] = str(last["Message-ID"])
                m["References"] = str(last["Message-ID"])
                m.set_content(f"{text}\n\nPada 28 Nov 2026, Aduan Jakarta menulis:\n> Laporan selesai.\n")
            else:
                m["Subject"] = "Lampu jalan mati"
                m.set_content(text)
            reply = await smtp_deliver(port, m.as_bytes(), sender="siti.rahma@example.com", recipients=[OUR_ADDRESS])
            assert reply.code == 250, reply

        yield Scene(gw, write)


def _tw(kind: bool) -> Callable[..., Any]:
    return lambda tmp_path, database_url, clock: twilio(tmp_path, database_url, clock, kind)


@dataclass
class Case:
    label: str
    scene: Callable[..., Any]
    reply: str  # what the citizen sends once the report is SELESAI
    score: int
    comment: str
    button: bool = False  # pressed, not typed

    def __str__(self) -> str:
        return self.label


CASES = [
    Case("telegram digit", telegram, "4 cepat, terima kasih", 4, "cepat, terima kasih"),
    Case("telegram button", telegram, "", 5, "", button=True),
    Case("messenger digit", messenger, "3 lumayan", 3, "lumayan"),
    Case("messenger quick reply", messenger, "", 2, "", button=True),
    Case("whatsapp twilio digit", _tw(True), "5 mantap petugasnya", 5, "mantap petugasnya"),
    Case("whatsapp cloud digit", whatsapp_cloud, "4", 4, ""),
    Case("sms digit", _tw(False), "1 belum beres", 1, "belum beres"),
    Case("x dm digit", twitter_dm, "5. Terima kasih", 5, "Terima kasih"),
    Case("email reply", email_smtp, "5 sangat cepat", 5, "sangat cepat"),
    Case("named ticket", telegram, "NILAI {tid} 3 sedang saja", 3, "sedang saja"),
]


def _tg(api: FakeAPI, method: str) -> list[dict[str, Any]]:
    """The parameters of each Bot API call ``method`` (PTB posts them as a form; JSON values as text)."""
    out = []
    for r in api.matching("POST", rf"/bot[^/]+/{method}"):
        fields = dict(r.form)
        if "reply_markup" in fields:
            fields["reply_markup"] = json.loads(fields["reply_markup"])
        out.append(fields)
    return out


async def _finish(scene: Scene) -> str:
    await scene.write(REPORT, 1)
    tid = (await only_ticket(scene.gw))["tracking_id"]
    await staff_moves(scene.gw, tid, "PROSES", "MENUNGGU_VALIDASI", "SELESAI")
    return tid


async def _events(gw: Gateway, ticket_id: int, kind: str) -> list[Any]:
    return await gw.db.read(lambda c: c.execute(
        select(repo.T_EVENT).where(repo.T_EVENT.c.ticket_id == ticket_id, repo.T_EVENT.c.kind == kind)
        .order_by(repo.T_EVENT.c.id)).mappings().all())


async def _fig_rating(gw: Gateway) -> list[tuple[Any, ...]]:
    """(grouping, key, rated, rating_total, rated_low) of the fig_perf rows holding a rating."""
    t = figures.TABLES["fig_perf"]
    return await gw.db.read(lambda c: [tuple(r) for r in c.execute(
        select(t.c.grouping, t.c.group_key, t.c.rated, t.c.rating_total, t.c.rated_low)
        .where(t.c.rated != 0).order_by(t.c.grouping))])


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_ratings_by_every_channels_reply_form(tmp_path, database_url, clock, case):
    async with case.scene(tmp_path, database_url, clock) as scene:
        tid = await _finish(scene)
        clock.advance(hours=2)
        if case.button:
            assert scene.press is not None
            await scene.press(f"NILAI {tid} {case.score}", 2)
        else:
            await scene.write(case.reply.format(tid=tid), 2)
        ticket = await only_ticket(scene.gw)  # a rating is never a new report
        assert (ticket["rating"], ticket["rating_comment"] or "") == (case.score, case.comment)
        assert ticket["status"] == "SELESAI"
        (event,) = await _events(scene.gw, ticket["id"], "rating")
        assert repo.loads(event["data"])["score"] == case.score and event["actor"] == "citizen"
        assert not event["public"]
        low = int(case.score <= 2)
        assert await _fig_rating(scene.gw) == [("agency", ticket["agency_code"] or "", 1, case.score, low),
                                               ("kelurahan", ticket["area_code"] or "", 1, case.score, low)]
        assert await scene.gw.db.read(figures.verify) == []


async def test_telegram_ask_has_buttons_and_a_redelivered_press_counts_once(tmp_path, database_url, clock):
    async with telegram(tmp_path, database_url, clock) as scene:
        tid = await _finish(scene)
        await drain(scene.gw)
        (ask,) = [f for f in _tg(scene.api, "sendMessage") if f.get("reply_markup")]
        assert "Pilih nilai 1-5" in ask["text"]
        keyboard = ask["reply_markup"]["inline_keyboard"]
        assert [b["text"] for b in keyboard[0]] == ["1", "2", "3", "4", "5"]
        assert keyboard[0][3]["callback_data"] == f"NILAI {tid} 4"
        for _ in range(2):  # Telegram redelivers the same update: same callback id
            await scene.press(keyboard[0][3]["callback_data"], 7)
        ticket = await only_ticket(scene.gw)
        assert ticket["rating"] == 4
        assert len(await _events(scene.gw, ticket["id"], "rating")) == 1
        assert (await _fig_rating(scene.gw))[0][2:] == (1, 4, 0)
        answered = _tg(scene.api, "answerCallbackQuery")
        assert answered and all(f["callback_query_id"] == "4382bfdwdsb323b2d97" for f in answered)
        await drain(scene.gw)
        texts = [f["text"] for f in _tg(scene.api, "sendMessage")]
        assert sum("penilaian Anda (4/5)" in t for t in texts) == 1  # one thank-you


async def test_messenger_ask_has_quick_replies(tmp_path, database_url, clock):
    async with messenger(tmp_path, database_url, clock) as scene:
        tid = await _finish(scene)
        await drain(scene.gw)
        asks = [m.body["message"] for m in scene.api.sent if "NILAI" in json.dumps(m.body)]
        (ask,) = asks
        assert [q["payload"] for q in ask["quick_replies"]] == [f"NILAI {tid} {s}" for s in range(1, 6)]
        assert [q["title"] for q in ask["quick_replies"]] == ["1", "2", "3", "4", "5"]


async def test_later_rating_replaces_the_earlier_and_keeps_history(tmp_path, database_url, clock):
    async with telegram(tmp_path, database_url, clock) as scene:
        await _finish(scene)
        await scene.write("2", 2)
        clock.advance(hours=1)
        await scene.write("5 sudah diperbaiki lagi, terima kasih", 3)
        ticket = await only_ticket(scene.gw)
        assert (ticket["rating"], ticket["rating_comment"]) == (5, "sudah diperbaiki lagi, terima kasih")
        history = [repo.loads(e["data"]) for e in await _events(scene.gw, ticket["id"], "rating")]
        assert [(h["score"], h["previous"]) for h in history] == [(2, None), (5, 2)]
        assert (await _fig_rating(scene.gw))[0][2:] == (1, 5, 0)  # one rating, the latest
        assert await scene.gw.db.read(figures.verify) == []


async def test_a_digit_without_a_pending_rating_is_handled_as_today(tmp_path, database_url, clock):
    async with telegram(tmp_path, database_url, clock) as scene:
        await scene.write("3 lubang besar di Jl. Cikini Raya", 1)  # no finished ticket: a report
        ticket = await only_ticket(scene.gw)
        assert ticket["rating"] is None and ticket["description"].startswith("3 lubang")
        await staff_moves(scene.gw, ticket["tracking_id"], "PROSES", "MENUNGGU_VALIDASI", "SELESAI")
        clock.advance(days=scene.gw.config.ratings.reply_window_days + 1)  # the window has passed
        await scene.write("4 terima kasih", 2)
        rows = await scene.gw.db.read(lambda c: c.execute(select(repo.T_TICKET).order_by(repo.T_TICKET.c.id))
                                      .mappings().all())
        assert len(rows) == 2 and rows[0]["rating"] is None  # a new report, not a late rating
        assert await _fig_rating(scene.gw) == []


async def test_low_rating_saying_not_fixed_is_offered_the_reopen_path(tmp_path, database_url, clock):
    async with telegram(tmp_path, database_url, clock) as scene:
        tid = await _finish(scene)
        await drain(scene.gw)
        await scene.write("1 belum beres, lampu masih mati", 2)
        await drain(scene.gw)
        texts = [f["text"] for f in _tg(scene.api, "sendMessage")]
        thanks = [t for t in texts if "(1/5)" in t]
        assert len(thanks) == 1 and "/t/" + tid + "/buka?token=" in thanks[0]  # Telegram shows links
        await scene.write("2 oke", 3)  # low, but not "belum beres": thanks only
        await drain(scene.gw)
        texts = [f["text"] for f in _tg(scene.api, "sendMessage")]
        (thanks2,) = [t for t in texts if "(2/5)" in t]
        assert "buka" not in thanks2.lower()


async def test_sms_low_rating_offers_buka(tmp_path, database_url, clock):
    async with twilio(tmp_path, database_url, clock, False) as scene:
        tid = await _finish(scene)
        await scene.write("2 masih rusak", 2)
        await drain(scene.gw)
        bodies = [r.form["Body"] for r in scene.api.requests if r.method == "POST" and "Body" in r.form]
        assert any(f"BUKA {tid}" in b and "(2/5)" in b for b in bodies), bodies
        # SMS (ratings.link_channels): the ask offers both the digit reply and the one-click page
        (ask,) = [b for b in bodies if "Balas angka 1-5" in b]
        assert f"/t/{tid}/nilai?token=" in ask


async def test_sms_ask_link_opens_the_rating_page(tmp_path, database_url, clock):
    async with twilio(tmp_path, database_url, clock, False) as scene:
        tid = await _finish(scene)
        await drain(scene.gw)
        bodies = [r.form["Body"] for r in scene.api.requests if r.method == "POST" and "Body" in r.form]
        (ask,) = [b for b in bodies if f"/t/{tid}/nilai?token=" in b]
        path = ask[ask.index(f"/t/{tid}/nilai"):].split()[0]
        page = await asgi_client(scene.gw).get(path)
        assert page.status_code == 200 and 'name="score" value="5"' in page.text


async def test_rating_someone_elses_ticket_is_refused(tmp_path, database_url, clock):
    async with telegram(tmp_path, database_url, clock) as scene:
        tid = await _finish(scene)
        from tests.adapters.telegram import payloads as p

        other = p.text_update(50, 500, f"NILAI {tid} 1", user=p.EXPAT, chat=p.private_chat(p.EXPAT))
        r = await asgi_client(scene.gw).post("/webhooks/telegram", content=p.body(other), headers={
            "content-type": "application/json", "x-telegram-bot-api-secret-token": p.SECRET})
        assert r.status_code == 200
        await asyncio.sleep(0)
        ticket = await only_ticket(scene.gw)
        assert ticket["rating"] is None
        await drain(scene.gw)
        texts = [f["text"] for f in _tg(scene.api, "sendMessage")]
        assert any("cannot be rated" in t or "tidak dapat dinilai" in t for t in texts)
