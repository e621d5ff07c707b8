"""No secret in logs (even at DEBUG), and the settings model."""
from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from adapters.errors import TransientError, WebhookRejected
from adapters.telegram import TelegramAdapter, TelegramSettings
from bot.logging_setup import MASK
from adapters.telegram.poller import OFFSET_KEY
from bot.models import OutboundMessage
from tests.adapters.telegram import payloads as p
from tests.adapters.telegram.conftest import FakeSink, expect_get_me, make_settings
from tests.adapters.telegram.test_polling import start_polling
from tests.harness.channel_cases import assert_no_secrets_logged, raw_request
from tests.harness.fake_api import FakeAPI

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": p.SECRET}


async def test_no_secret_in_logs_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeAPI() as api:
        expect_get_me(api)
        api.expect("POST", p.api_path("sendMessage"), status=502, body="bad gateway")
        api.expect("POST", p.api_path("getFile"), body=p.get_file_result(p.LARGEST))
        api.expect("GET", p.file_path("photos/file_7.jpg"), body=p.JPEG)
        adapter = TelegramAdapter(make_settings(api.base_url))
        await adapter.start()
        with pytest.raises(TransientError):
            await adapter.send(OutboundMessage(id=1, channel="telegram", recipient="5550001", text="hi"))
        await adapter.handle_webhook(raw_request("POST", "/webhooks/telegram", p.body(p.photo_update(1, 1, "x")), HEADERS))
        with pytest.raises(WebhookRejected):
            await adapter.handle_webhook(raw_request("POST", "/webhooks/telegram", b"{}", {"X-Telegram-Bot-Api-Secret-Token": p.SECRET + "x"}))
        await adapter.stop()
        api.verify()

    sink = FakeSink()
    async with FakeAPI() as api:
        api.expect("POST", p.api_path("getUpdates"), status=500, body=p.error(500, "Internal Server Error"))
        api.expect("POST", p.api_path("getUpdates"), body=p.ok([p.text_update(7, 7, "x")]))
        api.expect("POST", p.api_path("getUpdates"), body=p.ok([]), times=None)
        adapter, _ = await start_polling(api, sink)
        await sink.wait_state(OFFSET_KEY, "8")
        await adapter.stop()

    assert_no_secrets_logged(caplog, [p.TOKEN, p.SECRET, p.TOKEN.split(":")[1]])
    # The check is not vacuous: httpx logged request URLs, with the token masked.
    urls = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert any(f"/bot{MASK}/sendMessage" in u for u in urls)
    assert any(f"/file/bot{MASK}/photos" in u for u in urls)


def test_settings_defaults() -> None:
    s = TelegramSettings(bot_token=p.TOKEN)
    assert s.mode == "polling"
    assert s.api_base_url == "https://api.telegram.org"
    assert s.bot_base_url == "https://api.telegram.org/bot"
    assert s.file_base_url == "https://api.telegram.org/file/bot"
    assert s.max_photo_bytes == 10 * 1024 * 1024
    assert s.poll_timeout == 30
    assert p.TOKEN not in repr(s) and p.TOKEN not in str(s.model_dump())


def test_self_hosted_base_url() -> None:
    s = TelegramSettings(bot_token=p.TOKEN, api_base_url="http://bot-api.internal:8081/")
    assert s.bot_base_url == "http://bot-api.internal:8081/bot"


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(mode="webhook"),  # webhook without a secret
        dict(mode="webhook", webhook_secret="almost-secret but with spaces"),
        dict(webhook_secret="x" * 257),
        dict(api_base_url="api.telegram.org"),
        dict(bot_token="   "),
        dict(poll_retry_initial=10.0, poll_retry_max=5.0),
    ],
    ids=["webhook-without-secret", "secret-charset", "secret-length", "base-url", "empty-token", "retry-bounds"],
)
def test_settings_rejected(kwargs: dict) -> None:
    values = dict(bot_token=p.TOKEN) | kwargs
    with pytest.raises(ValidationError) as info:
        TelegramSettings(**values)
    # A rejected value may be a secret: it never appears in the error text.
    text = str(info.value)
    assert p.TOKEN not in text and "almost-secret" not in text
