"""Fixtures for the Twilio adapter tests."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, AsyncIterator, Awaitable, Callable

import httpx
import pytest

from adapters.twilio import TwilioAdapter, TwilioNumber, TwilioSettings
from tests.adapters.twilio.payloads import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    LONG_NUMBER,
    PUBLIC_BASE,
    SHARED_KEY_SECRET,
    SHORT_CODE,
)

NOW = datetime(2024, 11, 28, 8, 30, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _no_twilio_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """TWILIO_EDGE / TWILIO_REGION would rewrite hosts; keep them out of tests."""
    for name in ("TWILIO_EDGE", "TWILIO_REGION", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def make_settings(api_base_url: str = "https://api.twilio.com", **overrides: Any) -> TwilioSettings:
    values: dict[str, Any] = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "webhook_shared_key_secret": SHARED_KEY_SECRET,
        "api_base_url": api_base_url,
        "numbers": [
            TwilioNumber(number=SHORT_CODE, label="lapor-1708"),
            TwilioNumber(number=LONG_NUMBER, label="sms-08111272206", whatsapp=True),
        ],
    }
    values.update(overrides)
    return TwilioSettings(**values)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def make_adapter(http: httpx.AsyncClient) -> Callable[..., TwilioAdapter]:
    """An adapter (not started: webhooks need no REST client) with a fixed clock."""

    def factory(api_base_url: str = "https://api.twilio.com", **overrides: Any) -> TwilioAdapter:
        return TwilioAdapter(
            make_settings(api_base_url, **overrides),
            public_base_url=PUBLIC_BASE,
            http_client=http,
            clock=lambda: NOW,
        )

    return factory


@pytest.fixture
def adapter(make_adapter: Callable[..., TwilioAdapter]) -> TwilioAdapter:
    return make_adapter()


@pytest.fixture
def started_adapter(http: httpx.AsyncClient) -> Callable[..., Awaitable[TwilioAdapter]]:
    """For run_outbound_case: a started adapter whose REST client targets the fake."""

    async def factory(api_base_url: str, **overrides: Any) -> TwilioAdapter:
        adapter = TwilioAdapter(
            make_settings(api_base_url, **overrides), public_base_url=PUBLIC_BASE, http_client=http, clock=lambda: NOW
        )
        await adapter.start()
        return adapter

    return factory
