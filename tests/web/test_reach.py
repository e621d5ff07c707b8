"""/lapor and the home page list the configured channels with how to reach each one."""
from __future__ import annotations

import html

from adapters.messenger import MessengerAdapter
from adapters.twilio import TwilioAdapter
from tests.adapters.messenger.conftest import make_settings as messenger_settings
from tests.adapters.twilio.conftest import make_settings as twilio_settings
from tests.e2e.flow import asgi_client, start_gateway


async def test_configured_channels_are_listed(tmp_path, database_url, clock):
    messenger = MessengerAdapter(messenger_settings(page_url="https://m.me/DKIJakarta"))
    gw = await start_gateway(tmp_path, database_url, clock, messenger, [MessengerAdapter.WEBHOOK_PATH])
    try:
        async with asgi_client(gw) as client:
            for path in ("/", "/lapor", "/?lang=en"):
                page = html.unescape((await client.get(path)).text)
                assert '<a href="https://m.me/DKIJakarta" rel="noopener">https://m.me/DKIJakarta</a>' in page, path
                assert "Facebook Messenger" in page
            assert "Kanal laporan" in html.unescape((await client.get("/lapor?lang=id")).text)
    finally:
        await gw.stop()


def test_each_adapter_says_how_to_reach_it():
    twilio = TwilioAdapter(twilio_settings(), public_base_url="https://lapor.example")
    assert twilio.contact("sms") == "1708, +628111272206"
    assert twilio.contact("whatsapp") == "+628111272206"
    assert MessengerAdapter(messenger_settings()).contact("messenger") is None  # no page_url: not listed


async def test_telegram_is_listed_by_the_username_getme_gives():
    """The bot's t.me link comes from getMe at start-up (a fake Bot API), or from the configured name."""
    from adapters.telegram import TelegramAdapter, TelegramSettings
    from tests.harness.provider_fakes import TOKEN, ProviderFakes

    fakes = ProviderFakes()
    base = await fakes.start()
    try:
        adapter = TelegramAdapter(TelegramSettings(bot_token=TOKEN, api_base_url=base, mode="webhook",
                                                    webhook_secret="reach-secret-0123456789"))
        assert adapter.contact("telegram") is None  # not started: nothing known yet
        await adapter.start()
        try:
            assert adapter.contact("telegram") == "https://t.me/aduan_bot"
        finally:
            await adapter.stop()
        named = TelegramAdapter(TelegramSettings(bot_token=TOKEN, api_base_url=base, public_username="LaporJakartaBot"))
        assert named.contact("telegram") == "https://t.me/LaporJakartaBot"
    finally:
        await fakes.stop()
