"""The WhatsApp table, run against both providers of the "whatsapp" channel (Twilio and the Cloud API):
the same citizen actions, each in its provider's real signed format, must normalise to the same messages."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable

import httpx
import pytest

from adapters.contract.channel import ChannelAdapter
from adapters.twilio import TwilioAdapter
from adapters.whatsapp_cloud import WhatsAppCloudAdapter
from tests.adapters.messenger.payloads import JPEG
from tests.adapters.twilio import payloads as tw
from tests.adapters.twilio.conftest import make_settings as twilio_settings
from tests.adapters.whatsapp_cloud import payloads as wa
from tests.adapters.whatsapp_cloud.conftest import NOW
from tests.adapters.whatsapp_cloud.conftest import make_settings as cloud_settings
from tests.harness.channel_cases import InboundCase, run_inbound_case
from tests.harness.fake_api import FakeAPI
from tests.harness.graph_fake import GraphFake

CITIZEN = "+6281234567890"
MEDIA_PATH = f"/2010-04-01/Accounts/{tw.ACCOUNT_SID}/Messages/{tw.SID_MMS}/Media/ME00"
PHOTO_ID = "900000000000001"


@dataclass
class Action:
    label: str
    twilio: Callable[[str], Any]  # base URL of the Twilio fake -> RawRequest
    cloud: Callable[[], Any]
    expected: dict[str, Any]
    status: int = 200


def _tw(form: dict[str, str], **kw: Any) -> Any:
    return tw.post("/webhooks/twilio", form, **kw)


def _button(form: dict[str, str]) -> dict[str, str]:
    return dict(form, MessageType="button", ButtonText="Cek status", ButtonPayload="CEK JKT-7K3M-QXP2")


ACTIONS = [
    Action("text", lambda base: _tw(tw.whatsapp_form("Banjir di Jl. Kemang Raya", from_=CITIZEN)),
           lambda: wa.post(wa.envelope(messages=[wa.text("wamid.1", "Banjir di Jl. Kemang Raya")])),
           dict(channel="whatsapp", sender=CITIZEN, text="Banjir di Jl. Kemang Raya")),
    Action("photo", lambda base: _tw(tw.with_media(tw.whatsapp_form("Sampah"), [(base + MEDIA_PATH, "image/jpeg")])),
           lambda: wa.post(wa.envelope(messages=[wa.image("wamid.2", PHOTO_ID, "Sampah")])),
           dict(channel="whatsapp", sender=CITIZEN, text="Sampah",
                attachments=lambda a: [x.content for x in a] == [JPEG])),
    Action("location", lambda base: _tw(tw.whatsapp_location_form()),
           lambda: wa.post(wa.envelope(messages=[wa.location("wamid.3", -6.2607187, 106.8137207)])),
           dict(channel="whatsapp", sender=CITIZEN, latitude=-6.2607187, longitude=106.8137207, is_location_only=True)),
    Action("Cek status button", lambda base: _tw(_button(tw.whatsapp_form("Cek status"))),
           lambda: wa.post(wa.envelope(messages=[wa.template_button("wamid.4", "CEK JKT-7K3M-QXP2")])),
           dict(channel="whatsapp", sender=CITIZEN, text="CEK JKT-7K3M-QXP2")),
    Action("forged signature", lambda base: _tw(tw.whatsapp_form(), signature="Zm9yZ2Vk"),
           lambda: wa.post(wa.envelope(messages=[wa.text("w", "x")]), secret="forged"), {}, status=403),
]


@pytest.fixture
async def providers() -> AsyncIterator[dict[str, tuple[ChannelAdapter, str]]]:
    async with httpx.AsyncClient() as http, FakeAPI() as twilio_api, \
            GraphFake(token=wa.TOKEN, now=lambda: NOW, phone_number_id=wa.PHONE_NUMBER_ID) as graph:
        twilio_api.expect("GET", MEDIA_PATH, body=JPEG, headers={"Content-Type": "image/jpeg"}, times=None)
        graph.wa_media[PHOTO_ID] = (JPEG, "image/jpeg")
        twilio = TwilioAdapter(twilio_settings(twilio_api.base_url), public_base_url=tw.PUBLIC_BASE, http_client=http)
        cloud = WhatsAppCloudAdapter(cloud_settings(graph.base_url), http_client=http, allow_private_hosts=True)
        yield {"twilio": (twilio, twilio_api.base_url), "cloud": (cloud, graph.base_url)}


@pytest.mark.parametrize("provider", ["twilio", "cloud"])
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.label)
async def test_whatsapp_table(action: Action, provider: str, providers: dict[str, tuple[ChannelAdapter, str]]) -> None:
    adapter, base = providers[provider]
    request = action.twilio(base) if provider == "twilio" else action.cloud()
    expected = [action.expected] if action.status == 200 else []
    await run_inbound_case(adapter, InboundCase(f"{provider}: {action.label}", request, status=action.status,
                                                messages=expected))


def test_one_provider_serves_the_channel() -> None:
    settings = twilio_settings(whatsapp=False)
    assert TwilioAdapter(settings, public_base_url=tw.PUBLIC_BASE).channels() == ("sms",)
