"""End to end on WhatsApp through the Cloud API: report -> acknowledgement with the tracking ID ->
status change 3 days later (a template) -> proof photo at SELESAI (image-header template) -> CEK;
duplicates make one ticket and one reply; 429 and 5xx are retried."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from adapters.whatsapp_cloud import WhatsAppCloudAdapter
from bot.clock import FakeClock
from bot.gateway import Gateway
from tests.adapters.whatsapp_cloud import payloads as p
from tests.adapters.whatsapp_cloud.conftest import FAKE_TEMPLATES, make_settings
from tests.e2e.flow import asgi_client, drain, finish_with_proof, only_ticket, running_gateway, staff_moves, ticket_count
from tests.harness.graph_fake import GraphFake

REPORT = "Saluran air mampet di Jl. Bangka Raya Kel. Bangka, banjir kalau hujan"


@asynccontextmanager
async def scene(tmp_path: Path, database_url: str, clock: FakeClock) -> AsyncIterator[tuple[GraphFake, Gateway]]:
    async with GraphFake(token=p.TOKEN, now=clock.now, phone_number_id=p.PHONE_NUMBER_ID,
                         wa_templates=dict(FAKE_TEMPLATES)) as graph:
        adapter = WhatsAppCloudAdapter(make_settings(graph.base_url), allow_private_hosts=True)
        async with running_gateway(tmp_path, database_url, clock, adapter, [WhatsAppCloudAdapter.WEBHOOK_PATH]) as gw:
            yield graph, gw


async def _write(client: Any, graph: GraphFake, clock: FakeClock, message: dict[str, Any]) -> int:
    graph.last_inbound[p.WA_ID] = clock.now()
    request = p.post(p.envelope(messages=[message]))
    return (await client.post(p.PATH, content=request.body, headers=request.headers)).status_code


async def test_citizen_flow_outside_the_window(tmp_path, database_url, clock):
    async with scene(tmp_path, database_url, clock) as (graph, gw):
        async with asgi_client(gw) as client:
            assert await _write(client, graph, clock, p.text("wamid.r1", REPORT)) == 200
            assert await _write(client, graph, clock, p.text("wamid.r1", REPORT)) == 200  # redelivered
        assert await ticket_count(gw) == 1
        tid = (await only_ticket(gw))["tracking_id"]
        await drain(gw)
        assert len(graph.sent) == 1
        ack = graph.sent[0].body
        assert ack["to"] == p.WA_ID and f"Balas CEK {tid} kapan saja" in ack["interactive"]["body"]["text"]

        clock.advance(days=3)
        await staff_moves(gw, tid, "PROSES")
        await drain(gw)
        tpl = graph.sent[-1].body["template"]
        assert tpl["name"] == "aduan_status_berubah"
        assert [x["text"] for x in tpl["components"][0]["parameters"]][:2] == [tid, "Proses"]

        await finish_with_proof(gw, tid)
        await drain(gw)
        done = graph.sent[-1].body["template"]
        assert done["name"] == "aduan_selesai_foto_bukti"
        photo_id = done["components"][0]["parameters"][0]["image"]["id"]
        assert graph.wa_media[photo_id][0][:3] == b"\xff\xd8\xff"

        async with asgi_client(gw) as client:
            assert await _write(client, graph, clock, p.template_button("wamid.cek", f"CEK {tid}")) == 200
        before = len(graph.sent)
        await drain(gw)
        (cek,) = graph.sent[before:]
        assert cek.body["type"] == "text" and tid in cek.body["text"]["body"]  # free-form again: they wrote


async def test_concurrent_duplicates_and_retries(tmp_path, database_url, clock):
    async with scene(tmp_path, database_url, clock) as (graph, gw):
        graph.faults += ["503", "429"]
        async with asgi_client(gw) as client:
            codes = await asyncio.gather(*(_write(client, graph, clock, p.text("wamid.same", REPORT))
                                           for _ in range(5)))
        assert codes == [200] * 5 and await ticket_count(gw) == 1
        await gw.dispatcher.run_once()  # 503 -> transient
        clock.advance(seconds=gw.config.outbox.backoff_max_seconds)
        await gw.dispatcher.run_once()  # 429 -> throttled
        clock.advance(seconds=3)
        await gw.dispatcher.run_once()
        assert len(graph.sent) == 1 and graph.calls == 3
