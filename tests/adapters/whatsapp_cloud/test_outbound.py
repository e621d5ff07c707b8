"""WhatsApp Cloud API sends against the Graph fake: button, photo upload, templates, error mapping."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from adapters.contract.errors import OutsideWindow, PermanentError, RecipientBlocked, Throttled, TransientError
from adapters.contract.messages import OutboundMessage
from adapters.whatsapp_cloud import WhatsAppCloudAdapter
from tests.adapters.messenger.payloads import JPEG
from tests.adapters.whatsapp_cloud.conftest import Clock, make_settings
from tests.adapters.whatsapp_cloud.payloads import CITIZEN, WA_ID
from tests.harness.graph_fake import GraphFake

TID = "JKT-7K3M-QXP2"


def message(template: str = "status_changed", **kw: object) -> OutboundMessage:
    values: dict = dict(id=1, channel="whatsapp", recipient=CITIZEN, text=f"Laporan {TID}: status sekarang Proses",
                        tracking_id=TID, tracking_url=f"https://lapor.example/t/{TID}", kind="status",
                        payload={"language": "id", "template": template,
                                 "fields": {"tracking_id": TID, "status": "Proses"}})
    values.update(kw)
    return OutboundMessage(**values)


async def test_text_with_the_cek_button(adapter: WhatsAppCloudAdapter, graph: GraphFake) -> None:
    mid = await adapter.send(message())
    assert mid.startswith("wamid.")
    body = graph.sent[0].body
    assert body["to"] == WA_ID and body["type"] == "interactive"
    assert body["interactive"]["action"]["buttons"][0]["reply"] == {"id": f"CEK {TID}", "title": "Cek status"}


async def test_long_text_without_button(adapter: WhatsAppCloudAdapter, graph: GraphFake) -> None:
    await adapter.send(message(text="x" * 2000))
    assert graph.sent[0].body["type"] == "text"


async def test_photo_is_uploaded_and_sent_with_its_caption(adapter: WhatsAppCloudAdapter, graph: GraphFake,
                                                          tmp_path: Path) -> None:
    photo = tmp_path / "bukti.jpg"
    photo.write_bytes(JPEG)
    await adapter.send(message(media_path=str(photo), media_content_type="image/jpeg"))
    body = graph.sent[0].body
    assert body["type"] == "image" and graph.wa_media[body["image"]["id"]][0] == JPEG
    assert body["image"]["caption"].startswith(f"Laporan {TID}")


async def test_outside_the_window_a_template(adapter: WhatsAppCloudAdapter, graph: GraphFake, clock: Clock,
                                            tmp_path: Path) -> None:
    clock.now += timedelta(days=3)
    with pytest.raises(OutsideWindow, match="131047"):  # the API's answer to a free-form message now
        await adapter.send(message())
    await adapter.send(message(outside_window=True))
    tpl = graph.sent[-1].body["template"]
    assert tpl["name"] == "aduan_status_berubah" and tpl["language"] == {"code": "id"}
    assert [p["text"] for p in tpl["components"][0]["parameters"]] == [TID, "Proses", f"https://lapor.example/t/{TID}"]
    photo = tmp_path / "bukti.jpg"
    photo.write_bytes(JPEG)
    await adapter.send(message("proof_done_web", outside_window=True, media_path=str(photo),
                               media_content_type="image/jpeg"))
    header = graph.sent[-1].body["template"]["components"][0]
    assert header["type"] == "header" and graph.wa_media[header["parameters"][0]["image"]["id"]][0] == JPEG


async def test_no_template_is_not_deliverable(adapter: WhatsAppCloudAdapter, graph: GraphFake) -> None:
    assert adapter.outside_window_path("whatsapp", "ack", "ack_new") is None
    assert adapter.outside_window_path("whatsapp", "status", "status_changed") == "aduan_status_berubah"
    with pytest.raises(OutsideWindow):
        await adapter.send(message("ack_new", outside_window=True))
    assert graph.calls == 0


async def test_wrong_template_parameters_are_permanent(graph: GraphFake, http: httpx.AsyncClient) -> None:
    settings = make_settings(graph.base_url, templates={"status_changed": {"name": "aduan_status_berubah",
                                                                            "variables": ["tracking_id"]}})
    adapter = WhatsAppCloudAdapter(settings, http_client=http)
    with pytest.raises(PermanentError, match="132000"):
        await adapter.send(message(outside_window=True))


@pytest.mark.parametrize("fault, error", [("429", Throttled), ("613", Throttled), ("500", TransientError)])
async def test_rate_limits_and_server_errors(adapter: WhatsAppCloudAdapter, graph: GraphFake, fault: str,
                                             error: type[Exception]) -> None:
    graph.faults.append(fault)
    with pytest.raises(error):
        await adapter.send(message())
    assert (await adapter.send(message())).startswith("wamid.")


async def test_not_on_whatsapp_is_unreachable(adapter: WhatsAppCloudAdapter, graph: GraphFake) -> None:
    with pytest.raises(RecipientBlocked, match="131026"):
        await adapter.send(message(recipient="+6289999999999"))


async def test_bad_token_is_permanent(graph: GraphFake, http: httpx.AsyncClient) -> None:
    adapter = WhatsAppCloudAdapter(make_settings(graph.base_url, access_token="wrong"), http_client=http)
    with pytest.raises(PermanentError, match="190"):
        await adapter.send(message())
