"""Polling mentions and DM events through the real tweepy AsyncClient."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.harness.channel_cases import assert_no_secrets_logged
from tests.harness.fake_api import FakeAPI
from tests.adapters.twitter.support import (
    ACCOUNT_ID,
    NOW,
    SECRETS,
    FakeClock,
    FakeSink,
    assert_messages,
    load,
    make_adapter,
)

MENTIONS = rf"/2/users/{ACCOUNT_ID}/mentions"
DM_EVENTS = r"/2/dm_events"
EMPTY = {"meta": {"result_count": 0}}
TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}


@dataclass
class PollCase:
    """A real v2 response and what the adapter must make of it."""

    label: str
    path: str
    response: dict[str, Any]
    messages: list[dict[str, Any]]
    state: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.label


POLL_CASES = [
    PollCase(
        "mentions: geo tweet, reply in thread; retweet and own reply skipped; oldest first",
        MENTIONS,
        load("mentions_page.json"),
        [
            {
                "channel": "twitter",
                "external_id": "1790000000000000101",
                "sender": "1500000000000000001",
                "sender_name": None,
                "text": "Jalan berlubang di Jl. Kebon Sirih, bahaya untuk motor",
                "latitude": -6.1854,
                "longitude": 106.8272,
                "language": "id",
                "received_at": datetime(2024, 5, 14, 2, 1, tzinfo=timezone.utc),
                "thread_refs": [],
                "reply_context": {"tweet_id": "1790000000000000101", "conversation_id": "1790000000000000101",
                                  "via": "mention", "username": "warga_a"},
                "raw": lambda raw: '"bbox"' in raw and "Warga A" in raw,
            },
            {
                "external_id": "1790000000000000103",
                "sender": "1500000000000000002",
                "text": "Sudah seminggu sampah belum diangkut",
                "latitude": None,
                "thread_refs": ["1790000000000000095", "1790000000000000090"],
                "reply_context": {"tweet_id": "1790000000000000103", "conversation_id": "1790000000000000090",
                                  "via": "mention", "username": "budi_s"},
            },
        ],
    ),
    PollCase(
        "mentions: small place -> bbox centre, city-wide place -> no location",
        MENTIONS,
        load("mention_place_only.json"),
        [
            {"external_id": "1790000000000000201",
             "latitude": pytest.approx((-6.1862 + -6.1608) / 2), "longitude": pytest.approx((106.8101 + 106.8404) / 2)},
            {"external_id": "1790000000000000202", "latitude": None, "longitude": None},
        ],
    ),
    PollCase(
        "DM events: citizen DM kept, our own DM skipped",
        DM_EVENTS,
        load("dm_events_page.json"),
        [
            {
                "external_id": "dm:1800000000000000011",
                "sender": "1500000000000000006",
                "sender_name": None,
                "text": "Selamat pagi, ada pohon tumbang di Jl. Cikini Raya menutup jalan",
                "received_at": datetime(2024, 5, 16, 8, 0, tzinfo=timezone.utc),
                "reply_context": {"tweet_id": None, "conversation_id": "1111111111-1500000000000000006",
                                  "via": "dm", "username": "fajar_f"},
            },
        ],
    ),
]


@pytest.mark.parametrize("case", POLL_CASES, ids=str)
async def test_poll_cases(case: PollCase, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    only_mentions = case.path == MENTIONS
    async with FakeAPI() as api:
        api.expect("GET", case.path, body=case.response)
        adapter = make_adapter(api.base_url, poll_mentions=only_mentions, poll_dms=not only_mentions)
        sink = FakeSink(case.state)
        await adapter.poll_once(sink)
        await adapter.stop()
        api.verify()
    assert_messages(case.label, sink.submitted, case.messages)
    assert_no_secrets_logged(caplog, SECRETS)


async def test_mentions_request_is_app_auth_with_the_documented_fields() -> None:
    async with FakeAPI() as api:
        api.expect("GET", MENTIONS, body=EMPTY)
        adapter = make_adapter(api.base_url, poll_dms=False)
        await adapter.poll_once(FakeSink())
        await adapter.stop()
        (req,) = api.requests
    assert req.headers["authorization"].startswith("Bearer ")
    assert req.query["expansions"] == "author_id,geo.place_id"
    assert req.query["tweet.fields"] == (
        "author_id,conversation_id,created_at,geo,in_reply_to_user_id,referenced_tweets,lang"
    )
    assert req.query["user.fields"] == "username,name"
    assert req.query["place.fields"] == "geo,full_name"
    assert "since_id" not in req.query


async def test_since_id_persisted_after_submit_and_resumed_after_restart() -> None:
    sink = FakeSink()
    async with FakeAPI() as api:
        api.expect("GET", MENTIONS, body=load("mentions_page.json"))
        adapter = make_adapter(api.base_url, poll_dms=False)
        await adapter.poll_once(sink)
        await adapter.stop()
    assert sink.calls == [
        ("submit", ["1790000000000000101", "1790000000000000103"]),
        ("set_state", ("twitter:since_id", "1790000000000000103")),
    ]

    # A new process: a fresh adapter, the same durable state.
    async with FakeAPI() as api:
        api.expect("GET", MENTIONS, body=EMPTY)
        restarted = make_adapter(api.base_url, poll_dms=False)
        await restarted.poll_once(sink)
        await restarted.stop()
        (req,) = api.requests
    assert req.query["since_id"] == "1790000000000000103"
    assert sink.state["twitter:since_id"] == "1790000000000000103"


async def test_since_id_not_persisted_when_submit_fails() -> None:
    sink = FakeSink()
    sink.fail_submit = True
    async with FakeAPI() as api:
        api.expect("GET", MENTIONS, body=load("mentions_page.json"))
        adapter = make_adapter(api.base_url, poll_dms=False)
        delay = await adapter.poll_once(sink)
        await adapter.stop()
    assert "twitter:since_id" not in sink.state
    assert delay == 60  # the poller survives and retries after an interval
    assert adapter.health()["poll_errors"] == {"mentions": "RuntimeError"}


async def test_mentions_pages_back_to_since_id() -> None:
    page = load("mentions_page.json")
    first = {"data": page["data"][:2], "includes": page["includes"],
             "meta": {"result_count": 2, "newest_id": "1790000000000000103", "next_token": "7140dibdnow9c7btw3z2"}}
    second = {"data": page["data"][2:], "includes": page["includes"],
              "meta": {"result_count": 2, "oldest_id": "1790000000000000100"}}
    sink = FakeSink({"twitter:since_id": "1790000000000000050"})
    async with FakeAPI() as api:
        api.expect("GET", MENTIONS, body=first)
        api.expect("GET", MENTIONS, body=second)
        adapter = make_adapter(api.base_url, poll_dms=False)
        await adapter.poll_once(sink)
        await adapter.stop()
        api.verify()
        assert api.requests[1].query["pagination_token"] == "7140dibdnow9c7btw3z2"
        assert api.requests[1].query["since_id"] == "1790000000000000050"
    assert [m.external_id for m in sink.submitted] == ["1790000000000000101", "1790000000000000103"]
    assert sink.state["twitter:since_id"] == "1790000000000000103"


async def test_dm_cursor_skips_seen_events_and_persists_the_newest() -> None:
    page = load("dm_events_page.json")
    sink = FakeSink()
    async with FakeAPI() as api:
        api.expect("GET", DM_EVENTS, body=page, times=2)
        adapter = make_adapter(api.base_url, poll_mentions=False)
        await adapter.poll_once(sink)
        await adapter.stop()
        # The same events again (no since_id on dm_events): nothing new.
        again = make_adapter(api.base_url, poll_mentions=False)
        await again.poll_once(sink)
        await again.stop()
        req = api.requests[0]
    assert req.query["event_types"] == "MessageCreate"
    assert req.headers["authorization"].startswith("OAuth ")
    assert [m.external_id for m in sink.submitted] == ["dm:1800000000000000011"]
    assert sink.calls == [
        ("submit", ["dm:1800000000000000011"]),
        ("set_state", ("twitter:dm_last_event_id", "1800000000000000012")),
    ]


def fake_sleep(clock: FakeClock, delays: list[float], rounds: int):  # type: ignore[no-untyped-def]
    """Records each wait, advances the clock, and cancels the receiver after ``rounds``."""

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        clock.now += seconds
        if len(delays) >= rounds:
            raise asyncio.CancelledError
    return sleep


async def test_429_on_polling_waits_for_reset_and_keeps_polling(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clock = FakeClock()
    delays: list[float] = []
    sink = FakeSink()
    async with FakeAPI() as api:
        api.expect("GET", MENTIONS, status=429, body=TOO_MANY,
                   headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(NOW) + 300)})
        api.expect("GET", MENTIONS, status=503, body={"title": "Service Unavailable", "status": 503})
        api.expect("GET", MENTIONS, body=load("mentions_page.json"))
        adapter = make_adapter(api.base_url, clock, fake_sleep(clock, delays, rounds=3), poll_dms=False)
        with pytest.raises(asyncio.CancelledError):
            await adapter.run_receiver(sink)
        await adapter.stop()
        api.verify()
    # 429: wait until the reset; 503: one interval; success: one interval.
    assert delays == [300, 60, 60]
    assert len(sink.submitted) == 2
    assert sink.state["twitter:since_id"] == "1790000000000000103"
    assert_no_secrets_logged(caplog, SECRETS)


async def test_receiver_with_polling_off_returns() -> None:
    adapter = make_adapter(poll_mentions=False, poll_dms=False)
    await asyncio.wait_for(adapter.run_receiver(FakeSink()), 1)
    await adapter.stop()


async def test_network_errors_back_off_per_endpoint() -> None:
    async with FakeAPI() as api:
        dead = api.base_url
    clock = FakeClock()
    adapter = make_adapter(dead, clock)
    sink = FakeSink()
    assert await adapter.poll_once(sink) == 60
    clock.now += 60
    assert await adapter.poll_once(sink) == 120  # doubled after the second failure
    assert set(adapter.health()["poll_errors"]) == {"mentions", "dms"}  # type: ignore[arg-type]
    await adapter.stop()
