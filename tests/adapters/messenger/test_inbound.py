"""Messenger webhooks: signed real-format payloads through the shared table harness."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from adapters.messenger import MessengerAdapter
from tests.adapters.messenger import payloads as p
from tests.harness.channel_cases import InboundCase, raw_request, run_inbound_case
from tests.harness.graph_fake import GraphFake

WHEN = datetime(2024, 11, 28, 8, 30, tzinfo=timezone.utc)


def one_jpeg(attachments: list) -> bool:
    return len(attachments) == 1 and attachments[0].content_type == "image/jpeg" and attachments[0].content == p.JPEG


def cases(graph: GraphFake) -> list[InboundCase]:
    photo = graph.cdn_url("photo.jpg")
    return [
        InboundCase("text", p.post(p.page(p.text("m_1", "Jalan berlubang di Jl. Kemang Raya no 5"))),
                    messages=[dict(channel="messenger", external_id="m_1", sender=p.PSID,
                                   text="Jalan berlubang di Jl. Kemang Raya no 5", received_at=WHEN)],
                    body_contains="EVENT_RECEIVED"),
        InboundCase("image with text", p.post(p.page(p.attachments("m_2", p.image(photo), body="Sampah menumpuk"))),
                    messages=[dict(external_id="m_2", text="Sampah menumpuk", attachments=one_jpeg)]),
        InboundCase("image that is not an image", p.post(p.page(p.attachments("m_3", p.image(graph.cdn_url("x.html"))))),
                    messages=[dict(external_id="m_3", attachments=[],
                                   reply_context=lambda c: c["media_errors"] == ["unsupported_content:not_an_image"])]),
        InboundCase("image too large", p.post(p.page(p.attachments("m_4", p.image(graph.cdn_url("big.jpg"))))),
                    messages=[dict(external_id="m_4", attachments=[],
                                   reply_context=lambda c: c["media_errors"] == ["download_failed:FetchTooLarge"])]),
        InboundCase("location", p.post(p.page(p.attachments("m_5", p.location(-6.2615, 106.8106)))),
                    messages=[dict(external_id="m_5", latitude=-6.2615, longitude=106.8106, is_location_only=True)]),
        InboundCase("quick reply", p.post(p.page(p.text("m_6", "Cek status",
                                                        quick_reply={"payload": "CEK JKT-7K3M-QXP2"}))),
                    messages=[dict(external_id="m_6", text="CEK JKT-7K3M-QXP2")]),
        InboundCase("rating quick reply", p.post(p.page(p.text("m_6r", "4", quick_reply={"payload": "NILAI JKT-7K3M-QXP2 4"}))),
                    messages=[dict(text="NILAI JKT-7K3M-QXP2 4", external_id="m_6r", sender=p.PSID)]),
        InboundCase("postback", p.post(p.page(p.postback("CEK JKT-7K3M-QXP2"))),
                    messages=[dict(external_id="m_pb1", text="CEK JKT-7K3M-QXP2", sender=p.PSID)]),
        InboundCase("get started postback without mid", p.post(p.page(p.postback("GET_STARTED", mid=None))),
                    messages=[dict(external_id=f"postback:{p.PSID}:{p.TS}", text="BANTUAN")]),
        InboundCase("echo", p.post(p.page(p.echo("m_out1"))),
                    updates=[dict(channel="messenger", external_id="m_out1", status="sent")]),
        InboundCase("delivery", p.post(p.page(p.delivery("m_out1", "m_out2"))),
                    updates=[dict(external_id="m_out1", status="delivered"),
                             dict(external_id="m_out2", status="delivered")]),
        InboundCase("read", p.post(p.page(p.read()))),
        InboundCase("unknown event type", p.post(p.page(p.event(reaction={"mid": "m_1", "action": "react"})))),
        InboundCase("unknown attachment type", p.post(p.page(p.attachments("m_7", {"type": "audio",
                                                                                    "payload": {"url": photo}}))),
                    messages=[dict(external_id="m_7", reply_context=lambda c: c["media_errors"] == [
                        "unsupported_content:audio"])]),
        InboundCase("several events in one body", p.post(p.page(p.text("m_8", "satu"), p.read(), p.text("m_9", "dua"))),
                    messages=[dict(external_id="m_8"), dict(external_id="m_9")]),
        InboundCase("wrong signature", p.post(p.page(p.text("m_x", "x")), secret="not-the-app-secret"), status=403),
        InboundCase("no signature", p.post(p.page(p.text("m_x", "x")), signature=""), status=403),
        InboundCase("sha1 signature", p.post(p.page(p.text("m_x", "x")), signature="sha1=abc"), status=403),
        InboundCase("another page", p.post(p.page(p.text("m_x", "x"), page_id="999")), status=403),
        InboundCase("not a page object", p.post({"object": "instagram", "entry": []}), status=400),
        InboundCase("not JSON", p.post(b"{nope"), status=400),
        InboundCase("message without mid", p.post(p.page(p.event(message={"text": "x"}))), status=400),
        InboundCase("oversized", p.post(b"{" + b" " * (1024 * 1024) + b"}"), status=413),
        InboundCase("handshake", raw_request("GET", p.PATH, query={
            "hub.mode": "subscribe", "hub.verify_token": p.VERIFY_TOKEN, "hub.challenge": "1158201444"}),
            body_contains="1158201444"),
        InboundCase("handshake with a wrong token", raw_request("GET", p.PATH, query={
            "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}), status=403),
        InboundCase("handshake without subscribe", raw_request("GET", p.PATH, query={
            "hub.verify_token": p.VERIFY_TOKEN, "hub.challenge": "1"}), status=400),
    ]


CASE_LABELS = [c.label for c in cases(GraphFake(token="", now=lambda: WHEN))]


@pytest.mark.parametrize("label", CASE_LABELS)
async def test_inbound_table(label: str, adapter: MessengerAdapter, graph: GraphFake) -> None:
    graph.files["photo.jpg"] = (p.JPEG, "image/jpeg")
    graph.files["x.html"] = (b"<html>not a photo</html>", "image/jpeg")
    graph.files["big.jpg"] = (p.JPEG + b"\x00" * (9 * 1024 * 1024), "image/jpeg")
    case = next(c for c in cases(graph) if c.label == label)
    await run_inbound_case(adapter, case)


async def test_counters_after_refusals(adapter: MessengerAdapter) -> None:
    await run_inbound_case(adapter, InboundCase("bad", p.post(p.page(p.text("m", "x")), secret="x"), status=403))
    await run_inbound_case(adapter, InboundCase("read", p.post(p.page(p.read()))))
    health = adapter.health()
    assert health["rejected_signatures"] == 1 and health["reads"] == 1
