"""Shared helpers for the X channel tests: settings, a fake sink, a fake clock."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Awaitable, Callable

from adapters.twitter import TwitterAdapter, TwitterSettings
from bot.models import InboundMessage

CASES = Path(__file__).parent / "cases"
ACCOUNT_ID = "1111111111"
BEARER = "AAAAAAAAAAAAAAAAAAAAAbearer-secret-7f3k"
CONSUMER_SECRET = "consumer-secret-Zq81hVx0"
ACCESS_SECRET = "access-token-secret-Lp42"
SECRETS = [BEARER, CONSUMER_SECRET, ACCESS_SECRET]
NOW = 1_715_000_000.0


def load(name: str) -> Any:
    return json.loads((CASES / name).read_text())


def case_bytes(name: str) -> bytes:
    return (CASES / name).read_bytes()


def make_settings(base_url: str = "https://api.twitter.com", **overrides: Any) -> TwitterSettings:
    values: dict[str, Any] = dict(
        api_base_url=base_url,
        # A path prefix on the same fake proves uploads use upload_base_url.
        upload_base_url=base_url + "/upload-host",
        bearer_token=BEARER,
        consumer_key="consumer-key-public",
        consumer_secret=CONSUMER_SECRET,
        access_token="1111111111-accesstokenpublic",
        access_token_secret=ACCESS_SECRET,
        account_user_id=ACCOUNT_ID,
        account_username="DKIJakarta",
        webhook_enabled=True,
    )
    values.update(overrides)
    return TwitterSettings(**values)


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_adapter(
    base_url: str = "https://api.twitter.com",
    clock: FakeClock | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    **overrides: Any,
) -> TwitterAdapter:
    return TwitterAdapter(make_settings(base_url, **overrides), clock=clock or FakeClock(), sleep=sleep)


class FakeSink:
    """Records submits and state writes in order; state survives 'restarts'."""

    def __init__(self, state: dict[str, str] | None = None) -> None:
        self.state: dict[str, str] = dict(state or {})
        self.submitted: list[InboundMessage] = []
        self.calls: list[tuple[str, Any]] = []
        self.fail_submit = False

    async def submit(self, messages: list[InboundMessage]) -> list[object]:
        self.calls.append(("submit", [m.external_id for m in messages]))
        if self.fail_submit:
            raise RuntimeError("database unavailable")
        self.submitted.extend(messages)
        return list(messages)

    async def record_delivery(self, updates: list[Any]) -> None:
        self.calls.append(("record_delivery", updates))

    async def get_state(self, key: str) -> str | None:
        return self.state.get(key)

    async def set_state(self, key: str, value: str) -> None:
        self.calls.append(("set_state", (key, value)))
        self.state[key] = value


def assert_messages(label: str, got: list[InboundMessage], want: list[dict[str, Any]]) -> None:
    """Same field-subset comparison as the shared harness' inbound cases."""
    assert len(got) == len(want), f"{label}: got {[m.external_id for m in got]}"
    for message, fields in zip(got, want):
        for key, value in fields.items():
            actual = getattr(message, key)
            if callable(value):
                assert value(actual), f"{label}: {key}={actual!r} failed check"
            else:
                assert actual == value, f"{label}: {key}={actual!r}, expected {value!r}"
