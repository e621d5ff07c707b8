"""Delivery under misbehaving providers: lanes, order per conversation, outages, the retry horizon.

Providers are scripted adapters; time is the injected clock except where a
send must really hang (then the test waits on events, never on durations).
"""
from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta
from typing import Any, AsyncIterator

import pytest
from sqlalchemy import select

from adapters.errors import SendError, Throttled, TransientError
from adapters.partner import PartnerAdapter
from bot.gateway import Gateway
from bot.models import OutboundMessage
from bot.outbox import enqueue
from store import repo
from store.db import Database
from tests.conftest import make_config
from tests.harness.waiting import eventually
from tests.memory_adapter import MemoryAdapter

M = repo.T_MESSAGE


class ScriptedProvider(MemoryAdapter):
    """A provider that can hang, or fail while the (injected) clock is inside an outage."""

    def __init__(self, name: str, clock: Any = None) -> None:
        super().__init__(name=name)
        self.clock = clock
        self.hang_for: set[str] = set()  # recipients whose sends hang until ``release``
        self.release = asyncio.Event()
        self.hanging = 0
        self.outage: tuple[datetime, BaseException] | None = None  # failing until this time, with this
        self.attempts: list[str] = []
        self.failures_for: dict[str, list[BaseException]] = {}

    async def send(self, message: OutboundMessage) -> str:
        self.attempts.append(message.text)
        if self.failures_for.get(message.recipient):
            raise self.failures_for[message.recipient].pop(0)
        if message.recipient in self.hang_for or "*" in self.hang_for:
            self.hanging += 1
            try:
                await self.release.wait()
            finally:
                self.hanging -= 1
        if self.outage and self.clock.now() < self.outage[0]:
            raise self.outage[1]
        return await super().send(message)


@pytest.fixture
async def lanes(tmp_path, database_url, clock) -> AsyncIterator[tuple[Gateway, dict[str, ScriptedProvider]]]:
    config = make_config(tmp_path, database_url, outbox={"lanes": {"slow": {"concurrency": 3}}})
    providers = {name: ScriptedProvider(name, clock) for name in ("slow", "fast", "other")}
    adapters = [(PartnerAdapter(config.channels.partner, allow_private_hosts=True), [])]
    adapters += [(p, []) for p in providers.values()]
    gw = Gateway(config, clock=clock, database_url=database_url, adapters=adapters)
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    try:
        yield gw, providers
    finally:
        for p in providers.values():
            p.release.set()
        await gw.stop()


async def _queue(gw: Gateway, channel: str, recipient: str, text: str, kind: str = "test") -> int:
    return await gw.db.write(lambda c: enqueue(c, gw.clock.now(), channel=channel, recipient=recipient,
                                               text=text, kind=kind))


async def _rows(gw: Gateway) -> list[dict[str, Any]]:
    return await gw.db.read(lambda c: [dict(r) for r in c.execute(
        select(M).where(M.c.direction == "out").order_by(M.c.id)).mappings()])


async def _until_statuses(gw: Gateway, predicate, what: str) -> dict[str, str]:
    """Wait until the recorded statuses (by text) satisfy ``predicate``; fail after 20 s."""
    for _ in range(2000):
        statuses = {r["text"]: r["status"] for r in await _rows(gw)}
        if predicate(statuses):
            return statuses
        await asyncio.sleep(0.01)
    raise AssertionError(f"never recorded: {what}")


async def test_a_hanging_provider_holds_only_its_own_lane(lanes):
    gw, p = lanes
    p["slow"].hang_for.add("*")
    for i in range(12):
        await _queue(gw, "slow", f"+62800{i}", f"lambat {i}")
        await _queue(gw, "fast", f"+62811{i}", f"cepat {i}")
        await _queue(gw, "other", f"+62822{i}", f"lain {i}")
    runner = asyncio.create_task(gw.dispatcher.run())
    try:
        await eventually(lambda: len(p["fast"].sent) == 12 and len(p["other"].sent) == 12, "other lanes drained")
        # The slow lane holds exactly its own concurrency, nothing more, and nothing of it was sent.
        assert p["slow"].hanging == 3 and p["slow"].sent == []
        statuses = await _until_statuses(
            gw, lambda s: all(s[f"cepat {i}"] == "sent" and s[f"lain {i}"] == "sent" for i in range(12)),
            "fast and other lanes recorded")
        assert sum(1 for i in range(12) if statuses[f"lambat {i}"] == "sending") == 3
        p["slow"].release.set()
        await eventually(lambda: len(p["slow"].sent) == 12, "slow lane drained after the provider answered")
    finally:
        for provider in p.values():
            provider.release.set()
        await gw.dispatcher.stop()
        await runner


async def test_staff_posts_never_delay_citizens_on_the_same_channel(lanes):
    gw, p = lanes
    p["fast"].hang_for.add("C-STAFF")  # officers' channel posts hang (e.g. Slack pacing)
    for i in range(6):
        await _queue(gw, "fast", "C-STAFF", f"staf {i}", kind="staff_event")
    runner = asyncio.create_task(gw.dispatcher.run())
    try:
        await eventually(lambda: p["fast"].hanging == 1, "a staff post hanging")
        for i in range(6):
            await _queue(gw, "fast", f"+6281{i}", f"warga {i}", kind="status")
        gw.dispatcher.wake()
        assert {r["lane"] for r in await _rows(gw)} == {"fast", "fast:staff"}
        await eventually(lambda: len(p["fast"].sent) == 6, "citizen messages sent")
        # Six recipients, six conversations: their relative order is not promised (each send
        # first reserves budget in the shared limiter, a database round trip on PostgreSQL).
        assert sorted(m.text for m in p["fast"].sent) == [f"warga {i}" for i in range(6)]
        assert p["fast"].hanging == 1  # one staff post at a time: the rest wait behind it, in order
        p["fast"].release.set()
        await eventually(lambda: len(p["fast"].sent) == 12, "staff posts sent")
        assert [m.text for m in p["fast"].sent[6:]] == [f"staf {i}" for i in range(6)]
    finally:
        for provider in p.values():
            provider.release.set()
        await gw.dispatcher.stop()
        await runner


FAULTS = {
    "503": lambda: TransientError("503 Service Unavailable"),
    "429": lambda: Throttled("429 Too Many Requests", retry_after=7),
    "connection refused": lambda: SendError("connection refused"),
    "adapter bug": lambda: RuntimeError("unexpected"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_order_per_conversation_survives_faults(lanes, fault):
    """The head of a conversation fails twice; its followers wait, other recipients do not."""
    gw, p = lanes
    fast = p["fast"]
    await _queue(gw, "fast", "+628A", "koordinasi")
    await _queue(gw, "fast", "+628A", "proses")
    await _queue(gw, "fast", "+628B", "diterima B")
    await _queue(gw, "fast", "+628A", "selesai")
    fast.failures_for["+628A"] = [FAULTS[fault](), FAULTS[fault]()]
    await gw.dispatcher.run_once()
    assert fast.texts_to("+628A") == []
    if fault != "429":  # a throttled provider pauses the whole lane; a failure holds only its conversation
        assert fast.texts_to("+628B") == ["diterima B"]
    for _ in range(10):
        gw.clock.advance(seconds=gw.config.outbox.backoff_max_seconds + 1)
        await gw.dispatcher.run_once()
    assert fast.texts_to("+628A") == ["koordinasi", "proses", "selesai"]
    assert fast.texts_to("+628B") == ["diterima B"]
    assert all(r["status"] == "sent" for r in await _rows(gw))


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_a_two_hour_outage_delivers_everything_after_recovery_in_order_once(lanes, fault):
    gw, p = lanes
    fast = p["fast"]
    start = gw.clock.now()
    fast.outage = (start + timedelta(hours=2), FAULTS[fault]())
    expected: dict[str, list[str]] = {}
    for minute in range(0, 120, 10):  # replies keep being queued through the outage
        for r in ("+62801", "+62802", "+62803"):
            text = f"{r} update {minute}"
            expected.setdefault(r, []).append(text)
            await _queue(gw, "fast", r, text)
        await gw.dispatcher.run_once()
        gw.clock.advance(minutes=10)
    while gw.clock.now() < start + timedelta(hours=3):
        await gw.dispatcher.run_once()
        gw.clock.advance(minutes=1)
    for r, texts in expected.items():
        assert fast.texts_to(r) == texts
    assert len(fast.sent) == len({m.text for m in fast.sent}) == 36  # each once
    assert {r["status"] for r in await _rows(gw)} == {"sent"}


async def test_a_send_that_never_answers_times_out_and_is_counted_as_ambiguous(tmp_path, database_url, clock,
                                                                              client_for):
    config = make_config(tmp_path, database_url, outbox={"lanes": {"slow": {"send_timeout_seconds": 0.05}},
                                                         "lease_seconds": 120})
    slow = ScriptedProvider("slow", clock)
    gw = Gateway(config, clock=clock, database_url=database_url, adapters=[(slow, [])])
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    try:
        slow.hang_for.add("+62899")
        await _queue(gw, "slow", "+62899", "halo")
        assert await gw.dispatcher.run_once() == 1
        (row,) = await _rows(gw)
        assert row["status"] == "queued" and "may have accepted" in row["error"]
        assert gw.dispatcher.ambiguous == {"slow": 1}
        async with client_for(gw) as client:
            details = (await client.get("/healthz", headers={"authorization": "Bearer test-admin-token-abcdef"})).json()
        assert details["ambiguous_retries"] == {"slow": 1}
        assert details["lanes"]["slow"]["concurrency"] == 8
        slow.hang_for.clear()
        clock.advance(seconds=config.outbox.backoff_max_seconds + 1)
        assert await gw.dispatcher.run_once() == 1
        assert slow.texts_to("+62899") == ["halo"]
    finally:
        await gw.stop()


async def test_permanent_error_fails_at_once_and_lets_the_conversation_go_on(lanes):
    from adapters.errors import PermanentError

    gw, p = lanes
    await _queue(gw, "fast", "+628A", "satu")
    await _queue(gw, "fast", "+628A", "dua")
    p["fast"].fail_with(PermanentError("invalid body"))
    await gw.dispatcher.run_once()
    rows = await _rows(gw)
    assert [(r["text"], r["status"]) for r in rows] == [("satu", "failed"), ("dua", "sent")]
    assert "invalid body" in rows[0]["error"]


async def test_a_message_for_a_channel_nobody_serves_is_dead_at_once_and_listed(lanes, client_for):
    gw, _ = lanes
    await _queue(gw, "sms", "+62812", "Laporan diterima")
    await gw.dispatcher.run_once()
    (row,) = await _rows(gw)
    assert row["status"] == "dead" and "'sms' is not configured" in row["error"]
    async with client_for(gw) as client:
        listed = (await client.get("/admin/outbox", headers={"authorization": "Bearer test-admin-token-abcdef"})).json()
    assert [r["id"] for r in listed] == [row["id"]]


@pytest.fixture
def client_for():
    import contextlib

    import httpx

    from bot.http.app import create_app

    @contextlib.asynccontextmanager
    async def make(gw: Gateway):
        transport = httpx.ASGITransport(app=create_app(gw))
        async with httpx.AsyncClient(transport=transport, base_url="http://aduan.test") as c:
            yield c

    return make


async def test_two_gateways_on_one_database_keep_every_conversation_in_order(lanes, database_url, clock):
    """Two dispatchers (own connection pools, like two processes) drain one outbox with random faults."""
    from bot.dispatcher import Dispatcher

    gw, p = lanes
    fast = p["fast"]
    rng = random.Random(7)
    original = ScriptedProvider.send

    async def flaky(self, message):
        if rng.random() < 0.3:
            raise TransientError("flaky")
        return await original(self, message)

    fast.send = flaky.__get__(fast)  # type: ignore[method-assign]
    for n in range(8):
        for r in range(6):
            await _queue(gw, "fast", f"+6281{r}", f"{r}:{n}")
    other_db = Database(database_url)
    other = Dispatcher(other_db, gw.registry, gw.media, gw.templates, clock, gw.config.outbox,
                       gw.config.instance.public_base_url)
    try:
        for _ in range(60):
            await asyncio.gather(gw.dispatcher.run_once(), other.run_once())
            clock.advance(seconds=gw.config.outbox.backoff_max_seconds + 1)
    finally:
        await other_db.close()
    for r in range(6):
        assert fast.texts_to(f"+6281{r}") == [f"{r}:{n}" for n in range(8)]
    assert len(fast.sent) == 48


async def test_outcomes_are_recorded_one_by_one_while_others_are_in_flight(lanes):
    """A send that ends is on disk before its lane-mates finish: a crash then re-sends only those in flight."""
    gw, p = lanes
    slow = p["slow"]
    slow.hang_for.update({"+62801", "+62802"})
    for r in ("+62801", "+62802", "+62803"):
        await _queue(gw, "slow", r, f"to {r}")
    runner = asyncio.create_task(gw.dispatcher.run())
    try:
        await eventually(lambda: len(slow.sent) == 1 and slow.hanging == 2, "one sent, two hanging")
        statuses = await _until_statuses(gw, lambda s: s["to +62803"] == "sent", "the finished send recorded")
        assert statuses == {"to +62801": "sending", "to +62802": "sending", "to +62803": "sent"}
    finally:
        slow.release.set()
        await gw.dispatcher.stop()
        await runner
