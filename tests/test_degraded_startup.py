"""No provider is needed to start (issue 9, point 1).

The gateway starts with every channel against fakes on 127.0.0.1, one
provider failing in turn (503, hanging, connection refused). The process
starts; partner, SMS, Telegram and X intake still file tickets and queue
replies; the other channels deliver; the failing channel shows as degraded
in /healthz; once its fake comes back, the background start-up retry (on an
injected sleep) recovers it and its replies go out too.
"""
from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from adapters.partner import PartnerAdapter
from adapters.slack import SlackAdapter, SlackSettings
from adapters.telegram import TelegramAdapter, TelegramSettings
from adapters.twilio import TwilioAdapter, TwilioNumber, TwilioSettings
from adapters.twitter import TwitterAdapter
from bot.gateway import Gateway
from store import repo
from tests.adapters.telegram import payloads as tg
from tests.adapters.twilio.payloads import ACCOUNT_SID, AUTH_TOKEN, SHORT_CODE, message_created, sign, sms_form
from tests.adapters.twitter.support import case_bytes, make_settings
from tests.adapters.twitter.test_webhook import x_signature
from tests.conftest import ADMIN_TOKEN, PARTNER_KEY, make_config
from tests.e2e.flow import asgi_client, virtual_budget
from tests.harness.fake_api import FakeAPI

PUBLIC = "http://aduan.test"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TWILIO_MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
TIMEOUT = 0.5  # every provider client's timeout here: a hanging fake costs this much real time
_ids = itertools.count(1000)


class ManualSleep:
    """The start-up retry's sleep: records each delay and waits until the test releases it."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self._waiting: list[asyncio.Future[None]] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        future = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        await future

    def release(self) -> None:
        for future in self._waiting:
            if not future.done():
                future.set_result(None)
        self._waiting.clear()


def _tg_sent(req: Any) -> dict[str, Any]:
    return tg.ok({"message_id": next(_ids), "from": tg.BOT_USER, "chat": tg.private_chat(tg.CITIZEN),
                  "date": tg.DATE, "text": "ok"})


def _twilio_created(req: Any) -> dict[str, object]:
    return message_created(req.form)


def _tweet(req: Any) -> dict[str, Any]:
    return {"data": {"id": f"18{next(_ids):017d}", "text": req.json["text"], "edit_history_tweet_ids": []}}


def _slack_posted(req: Any) -> dict[str, Any]:
    return {"ok": True, "channel": req.json["channel"], "ts": f"1772413200.{next(_ids):06d}",
            "message": {"type": "message", "text": req.json.get("text", ""), "bot_id": "B0ADUAN"}}


class Providers:
    """One fake per provider, each answering like the real API."""

    def __init__(self) -> None:
        self.telegram, self.twilio, self.twitter, self.slack, self.partner = (FakeAPI() for _ in range(5))

    def all(self) -> dict[str, FakeAPI]:
        return {"telegram": self.telegram, "twilio": self.twilio, "twitter": self.twitter, "slack": self.slack,
                "partner": self.partner}

    async def __aenter__(self) -> "Providers":
        for api in self.all().values():
            await api.__aenter__()
        self.telegram.expect("POST", tg.api_path("getMe"), body=tg.ok(tg.BOT_USER), times=None)
        self.telegram.expect("POST", tg.api_path("deleteWebhook"), body=tg.ok(True), times=None)
        self.telegram.expect("POST", tg.api_path("getUpdates"), body=tg.ok([]), times=None)
        self.telegram.expect("POST", tg.api_path("sendMessage"), handler=_tg_sent, times=None)
        self.twilio.expect("POST", TWILIO_MESSAGES, status=201, handler=_twilio_created, times=None)
        self.twitter.expect("POST", r"/2/tweets", status=201, handler=_tweet, times=None)
        self.slack.expect("POST", "/api/chat.postMessage", handler=_slack_posted, times=None)
        self.partner.expect("POST", "/callback", body={"ok": True}, times=None)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for api in self.all().values():
            await api.__aexit__(*exc)


def _slack_section(fakes: Providers) -> dict[str, Any]:
    return {"bot_token": "xoxb-1-2-abc", "signing_secret": "s" * 32, "default_channel": "C_DEFAULT",
            "api_base_url": f"{fakes.slack.base_url}/api/", "timeout_seconds": TIMEOUT}


def _adapters(config: Any, fakes: Providers, telegram_mode: str) -> list[tuple[Any, list[str]]]:
    tg_settings = TelegramSettings(bot_token=tg.TOKEN, api_base_url=fakes.telegram.base_url, mode=telegram_mode,
                                   webhook_secret=tg.SECRET, poll_timeout=0, connect_timeout=TIMEOUT,
                                   read_timeout=TIMEOUT, write_timeout=TIMEOUT)
    twilio = TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_base_url=fakes.twilio.base_url,
                            numbers=[TwilioNumber(number=SHORT_CODE, label="lapor-1708")],
                            request_timeout_seconds=TIMEOUT)
    slack = SlackSettings(**_slack_section(fakes))
    return [
        (PartnerAdapter(config.channels.partner, allow_private_hosts=True), []),
        (TelegramAdapter(tg_settings), ["/webhooks/telegram"]),
        (TwilioAdapter(twilio, public_base_url=PUBLIC), list(TwilioAdapter.WEBHOOK_PATHS)),
        (TwitterAdapter(make_settings(fakes.twitter.base_url, poll_mentions=False, poll_dms=False,
                                      request_timeout_seconds=TIMEOUT)), ["/webhooks/twitter"]),
        (SlackAdapter(slack), list(SlackAdapter.WEBHOOK_PATHS)),
    ]


async def _start(tmp_path: Path, database_url: str, clock: Any, fakes: Providers, telegram_mode: str,
                 sleep: ManualSleep) -> Gateway:
    config = make_config(tmp_path, database_url, startup={"adapter_timeout_seconds": 2 * TIMEOUT},
                         # Slack on: the shipped section says enabled: ${ADUAN_SLACK_ENABLED:-false}.
                         channels={"slack": {**_slack_section(fakes), "enabled": True}, "partner": {"partners": [
                             {"name": "jaki", "api_key": PARTNER_KEY, "callback_url": f"{fakes.partner.base_url}/callback",
                              "callback_secret": "cb-secret"}]}})
    gw = Gateway(config, clock=clock, database_url=database_url, adapters=_adapters(config, fakes, telegram_mode),
                 adapter_deps={"allow_private_hosts": True}, sleep=sleep)
    await gw.start(dispatcher=False, receivers=True, scheduler=False)
    gw.dispatcher.budget = virtual_budget()
    return gw


async def _citizens_report(client: Any) -> None:
    """A partner report, an SMS, a Telegram message and an X mention: each answered 200/201."""
    r = await client.post("/api/v1/reports", headers={"Authorization": f"Bearer {PARTNER_KEY}"},
                          json={"text": "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka", "reporter_id": "jaki-1",
                                "idempotency_key": "startup-1"})
    assert r.status_code in (200, 201), r.text
    form = sms_form("Jalan berlubang di Jl. Kemang Raya depan no. 12", to=SHORT_CODE)
    r = await client.post("/webhooks/twilio", content=urlencode(form),
                          headers={"content-type": "application/x-www-form-urlencoded",
                                   "x-twilio-signature": sign(f"{PUBLIC}/webhooks/twilio", form)})
    assert r.status_code == 200, r.text
    update = tg.text_update(1, 11, "Lampu jalan mati sepanjang Jl. Cikini Raya Kel. Cikini")
    r = await client.post("/webhooks/telegram", content=tg.body(update),
                          headers={"content-type": "application/json", "x-telegram-bot-api-secret-token": tg.SECRET})
    assert r.status_code == 200, r.text
    body = case_bytes("aaa_tweet_mention.json")
    r = await client.post("/webhooks/twitter", content=body, headers={
        "content-type": "application/json", "x-twitter-webhooks-signature": x_signature(body)})
    assert r.status_code == 200, r.text


async def _queued_by_channel(gw: Gateway) -> dict[str, int]:
    M = repo.T_MESSAGE
    return dict(await gw.db.read(lambda c: c.execute(
        select(M.c.channel, func.count()).where(M.c.direction == "out").group_by(M.c.channel)).all()))


async def _unsent(gw: Gateway) -> dict[str, int]:
    M = repo.T_MESSAGE
    return dict(await gw.db.read(lambda c: c.execute(
        select(M.c.channel, func.count()).where(M.c.direction == "out", M.c.status != "sent")
        .group_by(M.c.channel)).all()))


async def _deliver(gw: Gateway, clock: Any, rounds: int = 6) -> None:
    """Run the dispatcher, moving the clock past every retry backoff."""
    for _ in range(rounds):
        while await gw.dispatcher.run_once():
            pass
        clock.advance(hours=1)


CHANNEL_OF = {"telegram": "telegram", "twilio": "sms", "twitter": "twitter", "slack": "slack"}
CASES = [(provider, fault, mode)
         for provider, mode in (("telegram", "webhook"), ("telegram", "polling"), ("twilio", "webhook"),
                                ("twitter", "webhook"), ("slack", "webhook"))
         for fault in (503, "hang", "refuse")]


@pytest.mark.parametrize(("provider", "fault", "telegram_mode"), CASES,
                         ids=[f"{p}-{m}-{f}" if p == "telegram" else f"{p}-{f}" for p, f, m in CASES])
async def test_one_provider_down_at_start_up(tmp_path, database_url, clock, provider, fault, telegram_mode):
    async with Providers() as fakes:
        down = fakes.all()[provider]
        await down.fault(fault)
        sleep = ManualSleep()
        gw = await _start(tmp_path, database_url, clock, fakes, telegram_mode, sleep)  # does not raise
        try:
            async with asgi_client(gw) as client:
                health = (await client.get("/healthz", headers=ADMIN)).json()
                started_degraded = provider == "telegram"  # the only adapter that calls its provider to start
                if started_degraded:
                    tg_state = health["channels"]["telegram"]
                    assert tg_state["state"] == "degraded" and health["status"] == "degraded"
                    assert tg_state["startup"]["reason"].startswith("start-up ")
                    assert tg_state["startup"]["retry_in_seconds"] == gw.config.startup.retry_initial_seconds
                    assert any(p.startswith("channel telegram:") for p in health["problems"])
                others = [ch for ch in ("partner", "telegram", "sms", "twitter", "slack") if ch != CHANNEL_OF[provider]]
                assert all(health["channels"][ch]["state"] == "ok" for ch in others), health

                await _citizens_report(client)  # intake needs no provider, the down one's included
                assert await _ticket_count(gw) == 4
                queued = await _queued_by_channel(gw)
                assert {"partner", "sms", "telegram", "twitter", "slack"} <= set(queued), queued

                # A few rounds: on a loaded machine a healthy fake may miss the short client timeout once.
                await _deliver(gw, clock, rounds=3)
                unsent = await _unsent(gw)
                assert set(unsent) <= {CHANNEL_OF[provider]}, unsent  # every other channel delivered
                assert fakes.partner.matching("POST", "/callback")

                await down.fault(None)
                sleep.release()  # the background start-up retry runs now
                await asyncio.wait_for(gw.startup.wait_started(provider), 10)
                assert gw.startup.degraded() == {}
                if started_degraded and telegram_mode == "polling":
                    await fakes.telegram.wait_for("POST", tg.api_path("getUpdates"))  # the poller started late
                await _deliver(gw, clock)
                assert await _unsent(gw) == {}  # the recovered channel delivered its backlog
                health = (await client.get("/healthz", headers=ADMIN)).json()
                assert health["status"] == "ok", health["problems"]
        finally:
            await gw.stop()


async def _ticket_count(gw: Gateway) -> int:
    return await gw.db.read(lambda c: c.execute(select(func.count()).select_from(repo.T_TICKET)).scalar_one())
