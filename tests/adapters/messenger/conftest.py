"""Fixtures for the Messenger adapter tests: settings pointing at the local Graph fake."""
from __future__ import annotations

from typing import Any, AsyncIterator

import httpx
import pytest

from adapters.messenger import MessengerAdapter, MessengerSettings
from tests.adapters.messenger.payloads import APP_SECRET, PAGE_ID, PAGE_TOKEN, VERIFY_TOKEN, PSID
from tests.harness.graph_fake import GraphFake, StepClock
from tests.harness.meta_fixtures import NOW, clock, http  # noqa: F401 - fixtures



def make_settings(graph_base_url: str = "https://graph.facebook.com", **overrides: Any) -> MessengerSettings:
    values: dict[str, Any] = {"page_id": PAGE_ID, "page_access_token": PAGE_TOKEN, "app_secret": APP_SECRET,
                              "verify_token": VERIFY_TOKEN, "graph_base_url": graph_base_url}
    values.update(overrides)
    return MessengerSettings(**values)


Clock = StepClock


@pytest.fixture
async def graph(clock: StepClock) -> AsyncIterator[GraphFake]:  # noqa: F811 - the shared fixture
    async with GraphFake(token=PAGE_TOKEN, now=clock) as fake:
        fake.last_inbound[PSID] = NOW
        yield fake


@pytest.fixture
def adapter(graph: GraphFake, http: httpx.AsyncClient) -> MessengerAdapter:  # noqa: F811 - the shared fixture
    return MessengerAdapter(make_settings(graph.base_url), http_client=http, allow_private_hosts=True)
