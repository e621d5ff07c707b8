"""The Slack adapter on its own: chat.postMessage into threads, typed errors, safe URLs."""
from __future__ import annotations

from typing import Any, AsyncIterator

import pytest

from adapters.errors import PermanentError, Throttled, TransientError
from adapters.slack import PENDING, SlackAdapter, SlackFileError, SlackSettings
from bot.models import OutboundMessage
from tests.harness.fake_api import FakeAPI
from tests.staff.conftest import BOT_TOKEN, SIGNING_SECRET


class Threads:
    def __init__(self, answer: Any = None) -> None:
        self.answer = answer
        self.roots: list[tuple[int, str, str]] = []

    async def resolve_thread(self, ticket_id: int) -> Any:
        return self.answer

    async def record_root(self, ticket_id: int, channel: str, ts: str) -> None:
        self.roots.append((ticket_id, channel, ts))


@pytest.fixture
async def api() -> AsyncIterator[FakeAPI]:
    async with FakeAPI() as fake:
        yield fake


@pytest.fixture
async def adapter(api: FakeAPI) -> AsyncIterator[SlackAdapter]:
    a = SlackAdapter(SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET,
                                   api_base_url=f"{api.base_url}/api",
                                   response_url_prefixes=(f"{api.base_url}/commands/",),
                                   file_url_prefixes=(f"{api.base_url}/files-pri/",)))
    await a.start()
    try:
        yield a
    finally:
        await a.stop()


def msg(text: str = "Laporan baru JKT-7K3M-QXP2", **ctx: Any) -> OutboundMessage:
    return OutboundMessage(id=7, channel="slack", recipient="C_DLH", text=text, reply_context=ctx)


async def test_first_post_starts_the_thread_and_later_posts_reply_in_it(api, adapter):
    api.expect("POST", "/api/chat.postMessage", body={"ok": True, "channel": "C0DLH", "ts": "1772413200.000100"})
    api.expect("POST", "/api/chat.postMessage", body={"ok": True, "channel": "C0DLH", "ts": "1772413200.000200"})
    threads = Threads()
    adapter.threads = threads
    assert await adapter.send(msg(ticket_id=5, root=True)) == "C0DLH:1772413200.000100"
    assert threads.roots == [(5, "C0DLH", "1772413200.000100")]
    threads.answer = ("C0DLH", "1772413200.000100")
    assert await adapter.send(msg("Proses", ticket_id=5)) == "C0DLH:1772413200.000200"
    first, second = (r.json for r in api.matching("POST", "/api/chat.postMessage"))
    assert "thread_ts" not in first and first["unfurl_links"] is False
    assert second["thread_ts"] == "1772413200.000100" and second["channel"] == "C0DLH"
    api.verify()


async def test_text_is_escaped_so_nothing_pings_or_links(api, adapter):
    api.expect("POST", "/api/chat.postMessage", body={"ok": True, "channel": "C_DLH", "ts": "1.2"})
    await adapter.send(msg("<!channel> & <@U123> <https://evil.example|klik>", top_level=True))
    (req,) = api.matching("POST", "/api/chat.postMessage")
    assert req.json["text"] == "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil.example|klik&gt;"


async def test_pending_thread_is_retried_later_and_a_lost_root_is_replaced(api, adapter):
    adapter.threads = Threads(PENDING)
    with pytest.raises(TransientError):
        await adapter.send(msg("Proses", ticket_id=5))
    assert api.requests == []
    threads = Threads(None)  # the first post failed for good: this one starts the thread
    adapter.threads = threads
    api.expect("POST", "/api/chat.postMessage", body={"ok": True, "channel": "C_DLH", "ts": "9.1"})
    await adapter.send(msg("Proses", ticket_id=5))
    assert threads.roots == [(5, "C_DLH", "9.1")]


@pytest.mark.parametrize("status,body,headers,error", [
    (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "17"}, Throttled),
    (200, {"ok": False, "error": "channel_not_found"}, {}, PermanentError),
    (200, {"ok": False, "error": "not_in_channel"}, {}, PermanentError),
    (200, {"ok": False, "error": "invalid_auth"}, {}, TransientError),
    (503, {"ok": False, "error": "service_unavailable"}, {}, TransientError),
])
async def test_slack_errors_are_typed(api, adapter, status, body, headers, error):
    api.expect("POST", "/api/chat.postMessage", status=status, body=body, headers=headers)
    with pytest.raises(error) as info:
        await adapter.send(msg(top_level=True))
    if error is Throttled:
        assert info.value.retry_after == 17
    assert BOT_TOKEN not in str(info.value)


async def test_response_url_and_file_urls_are_limited_to_slack(api, adapter):
    # The bot token is only ever sent to the configured file host.
    with pytest.raises(SlackFileError) as info:
        await adapter.download("https://evil.example/steal")
    assert info.value.reason == "not_allowed"
    assert not await adapter.respond("https://evil.example/hook", "halo")
    assert api.requests == []
    api.expect("GET", "/files-pri/T1-F1/download/a.jpg", status=302,
               headers={"location": "https://evil.example/a.jpg"})
    with pytest.raises(SlackFileError) as info:
        await adapter.download(f"{api.base_url}/files-pri/T1-F1/download/a.jpg")
    assert info.value.reason == "not_allowed"
    with pytest.raises(SlackFileError) as info:
        await adapter.download(f"{api.base_url}/files-pri/T1-F2/big.jpg", declared_size=50 * 1024 * 1024)
    assert info.value.reason == "too_large"


def test_settings_hide_secrets_and_check_values():
    from pydantic import ValidationError

    s = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET)
    assert BOT_TOKEN not in repr(s) and SIGNING_SECRET not in repr(s)
    assert s.api_base_url == "https://slack.com/api/"
    for bad in ({"bot_token": " "}, {"signing_secret": ""}, {"api_base_url": "slack.com"}, {"command": "aduan"},
                {"unknown": 1}):
        with pytest.raises(ValidationError) as info:
            SlackSettings(**{"bot_token": BOT_TOKEN, "signing_secret": SIGNING_SECRET, **bad})
        assert BOT_TOKEN not in str(info.value) and SIGNING_SECRET not in str(info.value)
