"""One shared harness for channel tests: tables of real-format payloads.

An inbound case is a raw provider request (signed the way the provider signs
it) plus the HTTP answer and normalised messages expected. An outbound case
is a message plus the fake provider's responses plus the exact requests the
real SDK is expected to make. Adding a channel means adding rows.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from adapters.base import ChannelAdapter
from adapters.errors import WebhookRejected
from bot.models import OutboundMessage, RawRequest
from tests.harness.fake_api import FakeAPI, RecordedRequest


@dataclass
class InboundCase:
    label: str
    request: RawRequest
    status: int = 200
    # Each dict lists the InboundMessage fields to compare (a subset).
    messages: list[dict[str, Any]] = field(default_factory=list)
    # Each dict lists the DeliveryUpdate fields to compare.
    updates: list[dict[str, Any]] = field(default_factory=list)
    body_contains: str | None = None

    def __str__(self) -> str:  # pytest ids
        return self.label


async def run_inbound_case(adapter: ChannelAdapter, case: InboundCase) -> None:
    """Feed one request to the adapter and compare what it made of it."""
    try:
        result = await adapter.handle_webhook(case.request)
        status, body = result.status, result.body.decode("utf-8", "replace")
        messages, updates = result.messages, result.status_updates
    except WebhookRejected as exc:
        status, body, messages, updates = exc.status, exc.reason, [], []
    assert status == case.status, f"{case.label}: status {status} != {case.status} ({body})"
    assert status < 500, f"{case.label}: 5xx"
    if case.body_contains is not None:
        assert case.body_contains in body, f"{case.label}: {case.body_contains!r} not in {body!r}"
    assert len(messages) == len(case.messages), f"{case.label}: got {len(messages)} messages: {messages}"
    for got, want in zip(messages, case.messages):
        for key, value in want.items():
            actual = getattr(got, key)
            if callable(value):
                assert value(actual), f"{case.label}: {key}={actual!r} failed check"
            else:
                assert actual == value, f"{case.label}: {key}={actual!r}, expected {value!r}"
    assert len(updates) == len(case.updates), f"{case.label}: got {len(updates)} updates: {updates}"
    for got, want in zip(updates, case.updates):
        for key, value in want.items():
            assert getattr(got, key) == value, f"{case.label}: update {key}={getattr(got, key)!r}, expected {value!r}"


@dataclass
class MockResponse:
    method: str
    path: str  # regex
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ExpectedRequest:
    method: str
    path: str  # regex
    # Checks on the recorded request: form/json/query subsets or a callable.
    form: dict[str, str] | None = None
    json: dict[str, Any] | None = None
    check: Callable[[RecordedRequest], bool] | None = None


@dataclass
class OutboundCase:
    label: str
    message: OutboundMessage
    responses: list[MockResponse]
    requests: list[ExpectedRequest]
    # The provider id send() must return, or the exception type it must raise.
    result: str | type[BaseException] | None = None

    def __str__(self) -> str:
        return self.label


async def run_outbound_case(
    make_adapter: Callable[[str], Awaitable[ChannelAdapter]], case: OutboundCase
) -> list[RecordedRequest]:
    """Send one message through the real SDK against a fake provider."""
    async with FakeAPI() as api:
        for r in case.responses:
            api.expect(r.method, r.path, status=r.status, body=r.body, headers=r.headers)
        adapter = await make_adapter(api.base_url)
        try:
            if isinstance(case.result, type):
                try:
                    await adapter.send(case.message)
                except case.result:
                    pass
                else:
                    raise AssertionError(f"{case.label}: expected {case.result.__name__}")
            else:
                got = await adapter.send(case.message)
                if case.result is not None:
                    assert got == case.result, f"{case.label}: returned {got!r}"
        finally:
            await adapter.stop()
        api.verify()
        assert len(api.requests) == len(case.requests), (
            f"{case.label}: made {[(r.method, r.path) for r in api.requests]}"
        )
        for got, want in zip(api.requests, case.requests):
            assert got.method == want.method, f"{case.label}: {got.method} != {want.method}"
            import re

            assert re.fullmatch(want.path, got.path), f"{case.label}: path {got.path} !~ {want.path}"
            if want.form is not None:
                form = got.form
                for k, v in want.form.items():
                    assert form.get(k) == v, f"{case.label}: form {k}={form.get(k)!r}, expected {v!r}"
            if want.json is not None:
                body = got.json
                for k, v in want.json.items():
                    assert body.get(k) == v, f"{case.label}: json {k}={body.get(k)!r}, expected {v!r}"
            if want.check is not None:
                assert want.check(got), f"{case.label}: request check failed for {got.path}"
        return api.requests


def assert_no_secrets_logged(caplog: Any, secrets: list[str]) -> None:
    """Fail if any secret appears in captured log records."""
    text = "\n".join(r.getMessage() for r in caplog.records)
    for s in secrets:
        if s:
            assert s not in text, "a secret reached the logs"


def raw_request(
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> RawRequest:
    return RawRequest(method, path, {k.lower(): v for k, v in (headers or {}).items()}, query or {}, body)


logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
