"""End to end on SMS and WhatsApp: webhook in -> ticket -> reply with the
tracking ID -> status update -> proof photo (WhatsApp media / SMS link),
duplicates, provider 5xx and 429 retried then delivered."""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from adapters.twilio import TwilioAdapter, TwilioNumber, TwilioSettings
from tests.adapters.twilio.payloads import ACCOUNT_SID, message_created, AUTH_TOKEN, CITIZEN, LONG_NUMBER, SHORT_CODE, sign, sms_form, whatsapp_form
from tests.e2e.flow import asgi_client, drain, finish_with_proof, only_ticket, staff_moves, start_gateway, ticket_count
from store import repo
from tests.harness.fake_api import FakeAPI

PUBLIC = "http://aduan.test"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


@pytest.fixture(autouse=True)
def _no_twilio_env(monkeypatch):
    for name in ("TWILIO_EDGE", "TWILIO_REGION"):
        monkeypatch.delenv(name, raising=False)


def _created(req):
    return message_created(req.form)


async def _sms_gateway(tmp_path, database_url, clock, twilio):
    """A gateway with the Twilio adapter (1708 short code only) against the fake."""
    settings = TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_base_url=twilio.base_url,
                              numbers=[TwilioNumber(number=SHORT_CODE, label="lapor-1708")])
    return await start_gateway(tmp_path, database_url, clock, TwilioAdapter(settings, public_base_url=PUBLIC),
                               list(TwilioAdapter.WEBHOOK_PATHS))


async def _post(client, form):
    body = urlencode(form)
    sig = sign(f"{PUBLIC}/webhooks/twilio", form)
    return await client.post("/webhooks/twilio", content=body,
                             headers={"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": sig})


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
async def test_citizen_flow(tmp_path, database_url, clock, channel, caplog):
    caplog.set_level("DEBUG")
    async with FakeAPI() as twilio:
        twilio.expect("POST", MESSAGES, status=201, times=None, handler=lambda r: _created(r))
        settings = TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_base_url=twilio.base_url,
                                  numbers=[TwilioNumber(number=SHORT_CODE, label="lapor-1708"),
                                           TwilioNumber(number=LONG_NUMBER, label="sms-0811", whatsapp=True)])
        adapter = TwilioAdapter(settings, public_base_url=PUBLIC)
        gw = await start_gateway(tmp_path, database_url, clock, adapter, list(TwilioAdapter.WEBHOOK_PATHS))
        try:
            form = sms_form("Sampah menumpuk 3 hari di Jl. Kemang Raya Kel. Bangka", to=SHORT_CODE) \
                if channel == "sms" else whatsapp_form("Pohon tumbang di Kel. Cipete Utara, menutup jalan")
            async with asgi_client(gw) as client:
                r = await _post(client, form)
                assert r.status_code == 200 and r.text.startswith("<?xml")
                r2 = await _post(client, form)  # Twilio retries the same webhook
                assert r2.status_code == 200
            assert await ticket_count(gw) == 1
            ticket = await only_ticket(gw)
            assert ticket["channel"] == channel
            await drain(gw)
            sent = twilio.matching("POST", MESSAGES)
            assert len(sent) == 1  # one reply, not two
            reply = sent[0].form
            assert ticket["tracking_id"] in reply["Body"]
            assert reply["To"] == (CITIZEN if channel == "sms" else f"whatsapp:{CITIZEN}")
            assert reply["From"] == (SHORT_CODE if channel == "sms" else f"whatsapp:{LONG_NUMBER}")

            await staff_moves(gw, ticket["tracking_id"], "PROSES")
            await drain(gw)
            update = twilio.matching("POST", MESSAGES)[-1].form
            assert ticket["tracking_id"] in update["Body"] and "Proses" in update["Body"]

            sha = await finish_with_proof(gw, ticket["tracking_id"])
            await drain(gw)
            done = twilio.matching("POST", MESSAGES)
            photo_msgs = [m.form for m in done if "MediaUrl" in m.form]
            if channel == "whatsapp":
                assert photo_msgs and photo_msgs[-1]["MediaUrl"] == f"{PUBLIC}/media/{sha}"
            else:
                assert not photo_msgs  # plain SMS: the photo goes as a link to the tracking page
                assert f"{PUBLIC}/t/{ticket['tracking_id']}" in done[-2].form["Body"]
                assert "Balas angka 1-5" in done[-1].form["Body"]  # then the rating ask
            twilio.verify()
            # Neither the reporter's number nor the account secret reached any log line.
            logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("aiohttp"))
            assert CITIZEN not in logged and CITIZEN.lstrip("+") not in logged and AUTH_TOKEN not in logged
        finally:
            await gw.stop()


async def test_provider_5xx_and_429_are_retried_then_delivered(tmp_path, database_url, clock):
    async with FakeAPI() as twilio:
        twilio.expect("POST", MESSAGES, status=503, body={"code": 20500, "message": "Service unavailable",
                                                          "more_info": "", "status": 503})
        twilio.expect("POST", MESSAGES, status=429, headers={"Retry-After": "7"},
                      body={"code": 20429, "message": "Too Many Requests", "more_info": "", "status": 429})
        twilio.expect("POST", MESSAGES, status=201, handler=lambda r: _created(r))
        gw = await _sms_gateway(tmp_path, database_url, clock, twilio)
        try:
            async with asgi_client(gw) as client:
                assert (await _post(client, sms_form("Jalan berlubang di Kel. Kalibata", to=SHORT_CODE))).status_code == 200
            await gw.dispatcher.run_once()  # 503 -> transient, backoff
            clock.advance(seconds=gw.config.outbox.backoff_max_seconds)
            await gw.dispatcher.run_once()  # 429 -> throttled for Retry-After
            clock.advance(seconds=6)
            assert await gw.dispatcher.run_once() == 0  # still inside Retry-After
            clock.advance(seconds=2)
            await gw.dispatcher.run_once()
            assert len(twilio.matching("POST", MESSAGES)) == 3
            twilio.verify()
            ticket = await only_ticket(gw)
            assert re.search(ticket["tracking_id"], twilio.requests[-1].form["Body"])
        finally:
            await gw.stop()


async def test_stop_status_callback_marks_opted_out(tmp_path, database_url, clock):
    from sqlalchemy import select

    from store import repo
    from tests.adapters.twilio.payloads import status_form

    async with FakeAPI() as twilio:
        twilio.expect("POST", MESSAGES, status=201, handler=lambda r: _created(r))
        gw = await _sms_gateway(tmp_path, database_url, clock, twilio)
        try:
            async with asgi_client(gw) as client:
                await _post(client, sms_form("Parkir liar di Kel. Kebon Sirih", to=SHORT_CODE))
                await drain(gw)
                sid = (await gw.db.read(lambda c: c.execute(select(repo.T_MESSAGE.c.external_id).where(
                    repo.T_MESSAGE.c.direction == "out")).scalar_one()))
                form = status_form("failed", sid=sid, error_code="21610")
                body = urlencode(form)
                r = await client.post("/webhooks/twilio/status", content=body, headers={
                    "content-type": "application/x-www-form-urlencoded",
                    "x-twilio-signature": sign(f"{PUBLIC}/webhooks/twilio/status", form)})
                assert r.status_code == 200
            reporter = await gw.db.read(lambda c: c.execute(select(repo.T_REPORTER)).mappings().one())
            assert reporter["opted_out"]
            ticket = await only_ticket(gw)
            await staff_moves(gw, ticket["tracking_id"], "PROSES")
            await drain(gw)
            assert len(twilio.matching("POST", MESSAGES)) == 1  # nothing more goes to an opted-out number
        finally:
            await gw.stop()


async def test_long_sms_is_cut_to_three_segments_with_tracking_link(tmp_path, database_url, clock):
    from adapters.twilio.gsm import sms_segments
    from bot.outbox import notify_reporter
    from store import repo

    async with FakeAPI() as twilio:
        twilio.expect("POST", MESSAGES, status=201, times=None, handler=lambda r: _created(r))
        gw = await _sms_gateway(tmp_path, database_url, clock, twilio)
        try:
            async with asgi_client(gw) as client:
                await _post(client, sms_form("Lampu PJU mati di Kel. Gambir", to=SHORT_CODE))
            ticket = await only_ticket(gw)
            long_reply = ("Petugas sudah meninjau lokasi dan menemukan kabel yang putus di tiang nomor 12. "
                          "Perbaikan membutuhkan suku cadang dari gudang Suku Dinas “Bina Marga” — "
                          "diperkirakan tiba dalam tiga hari kerja, setelah itu lampu akan dinyalakan kembali. ") * 3
            await gw.db.write(lambda c: notify_reporter(c, gw.policy, clock.now(), repo.ticket_by_id(c, ticket["id"]),
                                                        "staff_reply", kind="staff_reply", text=long_reply))
            await drain(gw)
            body = twilio.matching("POST", MESSAGES)[-1].form["Body"]
            encoding, segments = sms_segments(body)
            assert encoding == "GSM-7"  # curly quotes and the long dash were made GSM-friendly
            assert segments <= 3
            assert body.endswith(f"{PUBLIC}/t/{ticket['tracking_id']}")
        finally:
            await gw.stop()


# -- the 24-hour WhatsApp window (issue 13) ----------------------------------------------

TEMPLATES = {"ack_new": {"sid": {"id": "HX" + "a" * 32, "en": "HX" + "b" * 32}},
             "status_changed": {"sid": {"id": "HX" + "c" * 32}},
             "proof_done": {"sid": {"id": "HX" + "d" * 32}, "variables": ["tracking_id", "url", "media"]},
             "staff_reply": {"sid": {"id": "HX" + "e" * 32}, "variables": ["tracking_id", "text"]}}


async def _whatsapp_scene(tmp_path, database_url, clock, twilio, templates):
    from tests.harness.twilio_whatsapp import TwilioWhatsApp

    fake = TwilioWhatsApp(now=clock.now, approved={t["sid"][lang]: len(t.get("variables", ["a", "b", "c"]))
                                                   for t in TEMPLATES.values() for lang in t["sid"]})
    twilio.expect("POST", MESSAGES, status=201, times=None, handler=fake)
    settings = TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_base_url=twilio.base_url,
                              numbers=[TwilioNumber(number=SHORT_CODE, label="lapor-1708"),
                                       TwilioNumber(number=LONG_NUMBER, label="sms-0811", whatsapp=True)],
                              whatsapp_templates=templates)
    gw = await start_gateway(tmp_path, database_url, clock, TwilioAdapter(settings, public_base_url=PUBLIC),
                             list(TwilioAdapter.WEBHOOK_PATHS))
    return fake, gw


async def test_whatsapp_outside_the_window_uses_approved_templates(tmp_path, database_url, clock):
    async with FakeAPI() as twilio:
        fake, gw = await _whatsapp_scene(tmp_path, database_url, clock, twilio, TEMPLATES)
        try:
            async with asgi_client(gw) as client:
                fake.wrote(CITIZEN)
                assert (await _post(client, whatsapp_form("Pohon tumbang di Kel. Cipete Utara"))).status_code == 200
            await drain(gw)
            tid = (await only_ticket(gw))["tracking_id"]
            ack = fake.accepted[-1]
            assert "ContentSid" not in ack and f"Balas CEK {tid} kapan saja" in ack["Body"]  # inside: free-form

            clock.advance(days=3)
            await staff_moves(gw, tid, "PROSES")
            await drain(gw)
            update = fake.accepted[-1]
            assert update["ContentSid"] == "HX" + "c" * 32 and "Body" not in update
            assert json.loads(update["ContentVariables"]) == {"1": tid, "2": "Proses", "3": f"{PUBLIC}/t/{tid}"}

            sha = await finish_with_proof(gw, tid)
            await drain(gw)
            done = fake.accepted[-1]
            assert done["ContentSid"] == "HX" + "d" * 32  # the media-header template
            assert json.loads(done["ContentVariables"]) == {"1": tid, "2": f"{PUBLIC}/t/{tid}", "3": sha}
            twilio.verify()
        finally:
            await gw.stop()


async def test_whatsapp_without_templates_falls_back_to_sms_and_63016_is_recorded(tmp_path, database_url, clock):
    async with FakeAPI() as twilio:
        fake, gw = await _whatsapp_scene(tmp_path, database_url, clock, twilio, {})
        try:
            async with asgi_client(gw) as client:
                # The same person texted 1708 once (BANTUAN), then reported on WhatsApp.
                assert (await _post(client, sms_form("BANTUAN", to=SHORT_CODE, sid="SM" + "1" * 32))).status_code == 200
                fake.wrote(CITIZEN)
                assert (await _post(client, whatsapp_form("Pohon tumbang di Kel. Cipete Utara"))).status_code == 200
            await drain(gw)
            tid = (await only_ticket(gw))["tracking_id"]
            clock.advance(days=3)
            await staff_moves(gw, tid, "PROSES")
            await drain(gw)
            last = fake.accepted[-1]
            assert last["To"] == CITIZEN and tid in last["Body"]  # by SMS, not a free-form WhatsApp

            # Our clock thought the window open, Twilio did not: 63016 is recorded with its reason.
            fake.last_inbound.clear()

            def make_inside(conn):  # the core believes the citizen just wrote
                from sqlalchemy import update as sql_update

                conn.execute(sql_update(repo.T_REPORTER).values(last_inbound_at=clock.now()))

            await gw.db.write(make_inside)
            before = len(fake.accepted)
            await staff_moves(gw, tid, "MENUNGGU_VALIDASI")
            await drain(gw)
            rows = await gw.db.read(lambda c: list(c.execute(repo.T_MESSAGE.select().where(
                repo.T_MESSAGE.c.direction == "out", repo.T_MESSAGE.c.channel == "whatsapp")
                .order_by(repo.T_MESSAGE.c.id)).mappings()))
            assert rows[-1]["status"] == "failed" and "outside messaging window" in rows[-1]["error"]
            assert "63016" in rows[-1]["error"]
            # ... and the citizen still hears of it by SMS, and the officers are told (never silent).
            (sms,) = fake.accepted[before:]  # the refused WhatsApp message is not among the accepted
            assert sms["To"] == CITIZEN and sms["From"] == SHORT_CODE and tid in sms["Body"], sms
            events = await gw.db.read(lambda c: list(c.execute(repo.T_EVENT.select().where(
                repo.T_EVENT.c.kind == "undeliverable").order_by(repo.T_EVENT.c.id)).mappings()))
            refused = json.loads(events[-1]["data"])
            assert refused["channel"] == "whatsapp" and refused["fallback_channel"] == "sms"
            assert "63016" in events[-1]["reason"]
        finally:
            await gw.stop()
