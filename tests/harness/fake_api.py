"""A fake provider API on 127.0.0.1 that answers like the real one and records
what the real SDK sent.

Each test queues the responses it expects (``expect``); a request nobody
expected is answered 500 and recorded, and ``verify()`` fails the test on
unexpected requests or on expectations left unused.
"""
from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl

from aiohttp import web


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Expectation:
    method: str
    path: re.Pattern[str]
    status: int = 200
    body: Any = None  # dict/list -> JSON, bytes/str -> raw
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1  # None: any number of times
    handler: Callable[[RecordedRequest], Any] | None = None
    used: int = 0


class FakeAPI:
    """A recording HTTP server. Use as ``async with FakeAPI() as api``."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.unexpected: list[RecordedRequest] = []
        self._expectations: list[Expectation] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.received = asyncio.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def expect(
        self,
        method: str,
        path: str,
        *,
        status: int = 200,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int | None = 1,
        handler: Callable[[RecordedRequest], Any] | None = None,
    ) -> Expectation:
        """Queue a response for requests matching ``method`` and the ``path`` regex."""
        exp = Expectation(method.upper(), re.compile(path + r"$"), status, body, headers or {}, times, handler)
        self._expectations.append(exp)
        return exp

    def matching(self, method: str, path: str) -> list[RecordedRequest]:
        rx = re.compile(path + r"$")
        return [r for r in self.requests if r.method == method.upper() and rx.match(r.path)]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        rec = RecordedRequest(
            request.method,
            request.path,
            dict(request.query),
            {k.lower(): v for k, v in request.headers.items()},
            await request.read(),
        )
        self.requests.append(rec)
        self.received.set()
        for exp in self._expectations:
            if exp.method != rec.method or not exp.path.match(rec.path):
                continue
            if exp.times is not None and exp.used >= exp.times:
                continue
            exp.used += 1
            body = exp.handler(rec) if exp.handler else exp.body
            if isinstance(body, web.StreamResponse):
                return body
            if isinstance(body, (dict, list)):
                return web.json_response(body, status=exp.status, headers=exp.headers)
            raw = body.encode() if isinstance(body, str) else (body or b"")
            return web.Response(body=raw, status=exp.status, headers=exp.headers)
        self.unexpected.append(rec)
        return web.json_response({"error": "unexpected request in test"}, status=500)

    def verify(self) -> None:
        """Fail on unexpected requests and on expectations never used."""
        problems = [f"unexpected {r.method} {r.path}" for r in self.unexpected]
        problems += [
            f"unused mock {e.method} {e.path.pattern} (used {e.used}/{e.times})"
            for e in self._expectations
            if e.times is not None and e.used < e.times
        ]
        assert not problems, "; ".join(problems)

    async def __aenter__(self) -> "FakeAPI":
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def wait_for(self, method: str, path: str, count: int = 1, timeout: float = 10.0) -> list[RecordedRequest]:
        """Wait until ``count`` requests matching method/path have arrived."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self.matching(method, path)
            if len(found) >= count:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"waited for {count} x {method} {path}, got {len(found)}: {[(r.method, r.path) for r in self.requests]}")
            self.received.clear()
            try:
                await asyncio.wait_for(self.received.wait(), min(remaining, 0.2))
            except asyncio.TimeoutError:
                pass
