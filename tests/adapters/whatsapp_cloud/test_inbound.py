"""WhatsApp Cloud API webhooks: signed real-format payloads through the shared table harness."""
from __future__ import annotations

import pytest

from adapters.whatsapp_cloud import WhatsAppCloudAdapter
from tests.adapters.messenger.payloads import JPEG
from tests.adapters.whatsapp_cloud import payloads as p
from tests.harness.channel_cases import InboundCase, raw_request, run_inbound_case
from tests.harness.graph_fake import GraphFake

PHOTO_ID, HTML_ID = "900000000000001", "900000000000002"


def one_jpeg(attachments: list) -> bool:
    return len(attachments) == 1 and attachments[0].content_type == "image/jpeg" and attachments[0].content == JPEG


CASES = [
    InboundCase("text", p.post(p.envelope(messages=[p.text("wamid.1", "Banjir di Jl. Kemang Raya")])),
                messages=[dict(channel="whatsapp", external_id="wamid.1", sender=p.CITIZEN, sender_name="Budi",
                               text="Banjir di Jl. Kemang Raya")]),
    InboundCase("image with caption", p.post(p.envelope(messages=[p.image("wamid.2", PHOTO_ID, "Sampah")])),
                messages=[dict(external_id="wamid.2", text="Sampah", attachments=one_jpeg)]),
    InboundCase("image that is not an image", p.post(p.envelope(messages=[p.image("wamid.3", HTML_ID)])),
                messages=[dict(attachments=[], reply_context=lambda c: c["media_errors"] == [
                    "unsupported_content:not_an_image"])]),
    InboundCase("image gone", p.post(p.envelope(messages=[p.image("wamid.4", "900000000000099")])),
                messages=[dict(attachments=[], reply_context=lambda c: c["media_errors"] == [
                    "download_failed:FetchFailed"])]),
    InboundCase("location", p.post(p.envelope(messages=[p.location("wamid.5", -6.2615, 106.8106)])),
                messages=[dict(latitude=-6.2615, longitude=106.8106, is_location_only=True)]),
    InboundCase("reply button", p.post(p.envelope(messages=[p.button_reply("wamid.6", "CEK JKT-7K3M-QXP2")])),
                messages=[dict(text="CEK JKT-7K3M-QXP2")]),
    InboundCase("template quick reply", p.post(p.envelope(messages=[p.template_button("wamid.7", "CEK JKT-7K3M-QXP2")])),
                messages=[dict(text="CEK JKT-7K3M-QXP2")]),
    InboundCase("unknown type", p.post(p.envelope(messages=[p.message("wamid.8", "sticker", sticker={"id": "1"})])),
                messages=[dict(text="", reply_context=lambda c: c["media_errors"] == ["unsupported_content:sticker"])]),
    InboundCase("delivered and read", p.post(p.envelope(statuses=[p.status("wamid.o1", "delivered"),
                                                                  p.status("wamid.o1", "read")])),
                updates=[dict(external_id="wamid.o1", status="delivered"), dict(status="read")]),
    InboundCase("failed 131047", p.post(p.envelope(statuses=[p.status("wamid.o2", "failed", 131047)])),
                updates=[dict(status="failed", error_code="131047", recipient_unreachable=False)]),
    InboundCase("failed 131026", p.post(p.envelope(statuses=[p.status("wamid.o3", "failed", 131026)])),
                updates=[dict(status="failed", error_code="131026", recipient_unreachable=True)]),
    InboundCase("wrong signature", p.post(p.envelope(messages=[p.text("w", "x")]), secret="nope"), status=403),
    InboundCase("no signature", p.post(p.envelope(messages=[p.text("w", "x")]), signature=""), status=403),
    InboundCase("another number", p.post(p.envelope(messages=[p.text("w", "x")], phone_number_id="1")), status=403),
    InboundCase("not whatsapp", p.post({"object": "page", "entry": []}), status=400),
    InboundCase("handshake", raw_request("GET", p.PATH, query={"hub.mode": "subscribe", "hub.challenge": "77",
                                                               "hub.verify_token": p.VERIFY_TOKEN}),
                body_contains="77"),
    InboundCase("handshake wrong token", raw_request("GET", p.PATH, query={
        "hub.mode": "subscribe", "hub.challenge": "77", "hub.verify_token": "x"}), status=403),
]


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_inbound_table(case: InboundCase, adapter: WhatsAppCloudAdapter, graph: GraphFake) -> None:
    graph.wa_media[PHOTO_ID] = (JPEG, "image/jpeg")
    graph.wa_media[HTML_ID] = (b"<html>", "image/jpeg")
    await run_inbound_case(adapter, case)
