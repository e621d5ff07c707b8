"""End to end on Messenger: signed webhook in -> ticket -> acknowledgement with the tracking ID ->
an officer's status change 3 days later (outside the 24-hour window: sent with a message tag) ->
proof photo at SELESAI -> CEK. Duplicates, concurrency, retries and the no-tag path."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from adapters.messenger import MessengerAdapter
from bot.clock import FakeClock
from bot.gateway import Gateway
from store import repo
from tests.adapters.messenger import payloads as p
from tests.adapters.messenger.conftest import make_settings
from tests.e2e.flow import asgi_client, drain, finish_with_proof, only_ticket, running_gateway, staff_moves, ticket_count
from tests.harness.graph_fake import GraphFake

REPORT = "Lampu jalan mati di Jl. Kemang Raya Kel. Bangka sejak seminggu"


@asynccontextmanager
async def scene(tmp_path: Path, database_url: str, clock: FakeClock,
                **settings: Any) -> AsyncIterator[tuple[GraphFake, Gateway]]:
    """The Graph fake on the injected clock, and a gateway whose Messenger adapter talks to it."""
    async with GraphFake(token=p.PAGE_TOKEN, now=clock.now) as graph:
        adapter = MessengerAdapter(make_settings(graph.base_url, **settings), allow_private_hosts=True)
        async with running_gateway(tmp_path, database_url, clock, adapter, [MessengerAdapter.WEBHOOK_PATH]) as gw:
            yield graph, gw


async def _write(client: Any, graph: GraphFake, clock: FakeClock, event: dict[str, Any]) -> int:
    """The citizen writes: Meta opens the window and delivers the signed webhook."""
    graph.last_inbound[p.PSID] = clock.now()
    request = p.post(p.page(event))
    r = await client.post(p.PATH, content=request.body, headers=request.headers)
    return r.status_code


async def test_citizen_flow_outside_the_window(tmp_path, database_url, clock, caplog):
    caplog.set_level("DEBUG")
    async with scene(tmp_path, database_url, clock) as (graph, gw):
        async with asgi_client(gw) as client:
            r = await client.get(p.PATH, params={"hub.mode": "subscribe", "hub.verify_token": p.VERIFY_TOKEN,
                                                 "hub.challenge": "8426"})
            assert r.status_code == 200 and r.text == "8426"
            assert await _write(client, graph, clock, p.text("m_r1", REPORT)) == 200
            assert await _write(client, graph, clock, p.text("m_r1", REPORT)) == 200  # redelivered
            bad = p.post(p.page(p.text("m_r2", "palsu")), secret="wrong")
            assert (await client.post(p.PATH, content=bad.body, headers=bad.headers)).status_code == 403
        assert await ticket_count(gw) == 1
        ticket = await only_ticket(gw)
        tid = ticket["tracking_id"]
        await drain(gw)
        assert len(graph.sent) == 1  # one acknowledgement, not two
        ack = graph.sent[0].body
        assert ack["messaging_type"] == "RESPONSE" and tid in ack["message"]["text"]
        assert f"Balas CEK {tid} kapan saja" in ack["message"]["text"]  # the invitation to stay reachable
        assert ack["message"]["quick_replies"][0]["payload"] == f"CEK {tid}"

        clock.advance(days=3)
        await staff_moves(gw, tid, "PROSES")
        await drain(gw)
        update = graph.sent[-1].body
        assert update["messaging_type"] == "MESSAGE_TAG" and update["tag"] == "ACCOUNT_UPDATE"
        assert tid in update["message"]["text"] and "Proses" in update["message"]["text"]

        await finish_with_proof(gw, tid)
        await drain(gw)
        uploads = [m for m in graph.sent if m.upload]
        assert len(uploads) == 1 and uploads[0].upload[:3] == b"\xff\xd8\xff"
        assert uploads[0].body["tag"] == "ACCOUNT_UPDATE"
        assert "SELESAI" in graph.sent[-1].body["message"]["text"]

        async with asgi_client(gw) as client:
            assert await _write(client, graph, clock, p.text("m_cek", "Cek status",
                                                               quick_reply={"payload": f"CEK {tid}"})) == 200
        before = len(graph.sent)
        await drain(gw)
        cek = graph.sent[before:]
        assert len(cek) == 1 and cek[0].body["messaging_type"] == "RESPONSE" and tid in cek[0].body["message"]["text"]
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert p.PAGE_TOKEN not in logged and p.APP_SECRET not in logged


async def test_concurrent_duplicates_make_one_ticket_and_one_reply(tmp_path, database_url, clock):
    async with scene(tmp_path, database_url, clock) as (graph, gw):
        async with asgi_client(gw) as client:
            codes = await asyncio.gather(*(_write(client, graph, clock, p.text("m_same", REPORT))
                                           for _ in range(5)))
        assert codes == [200] * 5
        assert await ticket_count(gw) == 1
        await drain(gw)
        assert len(graph.sent) == 1


async def test_429_and_5xx_retried_then_permanent_error_recorded(tmp_path, database_url, clock):
    async with scene(tmp_path, database_url, clock) as (graph, gw):
        graph.faults += ["500", "429"]
        async with asgi_client(gw) as client:
            assert await _write(client, graph, clock, p.text("m_1", REPORT)) == 200
        await gw.dispatcher.run_once()  # 500 -> transient, backoff
        clock.advance(seconds=gw.config.outbox.backoff_max_seconds)
        await gw.dispatcher.run_once()  # 429 -> throttled for Retry-After (2 s)
        clock.advance(seconds=3)
        await gw.dispatcher.run_once()
        assert len(graph.sent) == 1 and graph.calls == 3

        graph.blocked.add(p.PSID)  # the person left: 551
        await staff_moves(gw, (await only_ticket(gw))["tracking_id"], "PROSES")
        await drain(gw)
        rows = await gw.db.read(lambda c: list(c.execute(repo.T_MESSAGE.select().where(
            repo.T_MESSAGE.c.direction == "out").order_by(repo.T_MESSAGE.c.id)).mappings()))
        assert rows[-1]["status"] == "failed" and "551" in rows[-1]["error"]


async def test_no_allowed_tag_is_recorded_as_not_deliverable(tmp_path, database_url, clock):
    async with scene(tmp_path, database_url, clock, tags={}) as (graph, gw):
        async with asgi_client(gw) as client:
            assert await _write(client, graph, clock, p.text("m_1", REPORT)) == 200
        await drain(gw)
        tid = (await only_ticket(gw))["tracking_id"]
        clock.advance(days=3)
        await staff_moves(gw, tid, "PROSES")
        await drain(gw)
        assert len(graph.sent) == 1  # only the acknowledgement: nothing was tried outside the window

        def look(conn: Any) -> tuple[list[Any], list[Any]]:
            t = repo.ticket_by_tracking_id(conn, tid)
            out = list(conn.execute(repo.T_MESSAGE.select().where(repo.T_MESSAGE.c.direction == "out",
                                                                  repo.T_MESSAGE.c.kind == "status")).mappings())
            return out, [e for e in repo.events_for(conn, t["id"]) if e["kind"] == "undeliverable"]

        out, events = await gw.db.read(look)
        assert [m["status"] for m in out] == ["failed"] and "24 hours" in out[0]["error"]
        assert len(events) == 1 and events[0]["reason"] == out[0]["error"]


@pytest.mark.parametrize("hours, tagged", [(23, False), (25, True)])
async def test_the_window_edge(tmp_path, database_url, clock, hours, tagged):
    async with scene(tmp_path, database_url, clock) as (graph, gw):
        async with asgi_client(gw) as client:
            assert await _write(client, graph, clock, p.text("m_1", REPORT)) == 200
        await drain(gw)
        clock.advance(seconds=timedelta(hours=hours).total_seconds())
        await staff_moves(gw, (await only_ticket(gw))["tracking_id"], "PROSES")
        await drain(gw)
        assert ("tag" in graph.sent[-1].body) is tagged and len(graph.sent) == 2

