"""Fixtures for the WhatsApp Cloud API adapter: settings pointing at the local Graph fake."""
from __future__ import annotations

from typing import Any, AsyncIterator

import httpx
import pytest

from adapters.whatsapp_cloud import WhatsAppCloudAdapter, WhatsAppCloudSettings
from tests.adapters.whatsapp_cloud.payloads import APP_SECRET, PHONE_NUMBER_ID, TOKEN, VERIFY_TOKEN, WA_ID
from tests.harness.graph_fake import GraphFake, StepClock
from tests.harness.meta_fixtures import NOW, clock, http  # noqa: F401 - fixtures

TEMPLATES = {
    "status_changed": {"name": "aduan_status_berubah", "variables": ["tracking_id", "status", "url"]},
    "proof_done": {"name": "aduan_selesai_foto_bukti", "variables": ["tracking_id", "url"], "image_header": True},
}
FAKE_TEMPLATES = {"aduan_status_berubah": (("id", "en"), 3, False), "aduan_selesai_foto_bukti": (("id", "en"), 2, True)}


def make_settings(graph_base_url: str = "https://graph.facebook.com", **overrides: Any) -> WhatsAppCloudSettings:
    values: dict[str, Any] = {"phone_number_id": PHONE_NUMBER_ID, "access_token": TOKEN, "app_secret": APP_SECRET,
                              "verify_token": VERIFY_TOKEN, "graph_base_url": graph_base_url, "templates": TEMPLATES}
    values.update(overrides)
    return WhatsAppCloudSettings(**values)


Clock = StepClock


@pytest.fixture
async def graph(clock: StepClock) -> AsyncIterator[GraphFake]:  # noqa: F811 - the shared fixture
    async with GraphFake(token=TOKEN, now=clock, phone_number_id=PHONE_NUMBER_ID,
                         wa_templates=dict(FAKE_TEMPLATES)) as fake:
        fake.last_inbound[WA_ID] = NOW
        yield fake


@pytest.fixture
def adapter(graph: GraphFake, http: httpx.AsyncClient) -> WhatsAppCloudAdapter:  # noqa: F811 - the shared fixture
    return WhatsAppCloudAdapter(make_settings(graph.base_url), http_client=http, allow_private_hosts=True)
