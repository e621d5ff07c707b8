"""Fixtures for the Telegram adapter tests: FakeAPI, settings, a fake intake sink."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.telegram import SPEC, TelegramAdapter, TelegramSettings
from bot.models import DeliveryUpdate, InboundMessage
from tests.adapters.telegram.payloads import BOT_USER, SECRET, STAFF_CHAT_ID, TOKEN, api_path, ok
from tests.harness.fake_api import FakeAPI
from tests.harness.logsafe import production_log_redaction


def make_settings(base_url: str, **overrides: Any) -> TelegramSettings:
    values: dict[str, Any] = dict(
        bot_token=TOKEN,
        api_base_url=base_url,
        mode="webhook",
        webhook_secret=SECRET,
        staff_chat_id=STAFF_CHAT_ID,
        poll_timeout=0,
    )
    values.update(overrides)
    return TelegramSettings(**values)


@pytest.fixture(autouse=True)
def _log_redaction() -> Any:
    """The production log filter with this channel's secrets, as bot/cli.py installs it.

    The SDK loggers' levels are reset for the test: an earlier setup_logging() (tests/test_access_log.py)
    leaves them at WARNING, and the tests here check what httpx logs at INFO.
    """
    loggers = [logging.getLogger(name) for name in SPEC.watched_loggers]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.NOTSET)
    try:
        with production_log_redaction(SPEC, make_settings("http://127.0.0.1:9")):
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


class SleepRecorder:
    """An injected sleep that records delays and does not wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


class FakeSink:
    """An in-memory IntakeSink: what was submitted, and the persisted state."""

    def __init__(self, state: dict[str, str] | None = None) -> None:
        self.state: dict[str, str] = dict(state or {})
        self.submitted: list[InboundMessage] = []
        self.deliveries: list[DeliveryUpdate] = []
        self.fail_submits = 0
        self.events: list[str] = []  # "submit:<ids>" / "state:<value>", in order
        self._changed = asyncio.Event()

    async def submit(self, messages: list[InboundMessage]) -> list[object]:
        if self.fail_submits:
            self.fail_submits -= 1
            raise RuntimeError("database unavailable")
        self.submitted.extend(messages)
        self.events.append("submit:" + ",".join(m.external_id for m in messages))
        return list(messages)

    async def record_delivery(self, updates: list[DeliveryUpdate]) -> None:
        self.deliveries.extend(updates)

    async def get_state(self, key: str) -> str | None:
        return self.state.get(key)

    async def set_state(self, key: str, value: str) -> None:
        self.state[key] = value
        self.events.append(f"state:{value}")
        self._changed.set()

    async def wait_state(self, key: str, value: str, timeout: float = 10.0) -> None:
        """Wait until ``key`` holds ``value`` (the timeout only guards a hung test)."""

        async def until() -> None:
            while self.state.get(key) != value:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), timeout)


def expect_get_me(api: FakeAPI) -> None:
    api.expect("POST", api_path("getMe"), body=ok(BOT_USER))


@pytest.fixture
async def api() -> AsyncIterator[FakeAPI]:
    async with FakeAPI() as fake:
        yield fake


@pytest.fixture
def sleeper() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def webhook_adapter(api: FakeAPI, sleeper: SleepRecorder) -> AsyncIterator[TelegramAdapter]:
    """A started webhook-mode adapter against FakeAPI (getMe already answered)."""
    expect_get_me(api)
    adapter = TelegramAdapter(make_settings(api.base_url), sleep=sleeper)
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()
