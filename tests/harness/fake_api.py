"""A fake provider API on 127.0.0.1 that answers like the real one and records
what the real SDK sent.

Each test queues the responses it expects (``expect``); a request nobody
expected is answered 500 and recorded, and ``verify()`` fails the test on
unexpected requests or on expectations left unused.

Fault injection (``fault``): the provider answers every request with one
HTTP status, hangs without answering, or refuses connections, until healed.
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
        self._site: web.TCPSite | None = None
        self._fault: int | str | None = None
        self._healed = asyncio.Event()
        self.faulted: list[RecordedRequest] = []  # requests answered by an injected fault

    async def fault(self, mode: int | str | None) -> None:
        """An int: answer every request with that status. "hang": hold every
        request open (the client's timeout fires). "refuse": close the port
        (connection refused). None: heal, answering from expectations again."""
        if mode not in (None, "hang", "refuse") and not isinstance(mode, int):
            raise ValueError(f"unknown fault {mode!r}")
        was, self._fault = self._fault, mode
        if mode == "hang":
            self._healed.clear()
        else:
            self._healed.set()
        if mode == "refuse" and was != "refuse" and self._site is not None:
            await self._site.stop()
        if was == "refuse" and mode != "refuse":
            await self._listen(self.port)

    async def _faulty(self, rec: RecordedRequest) -> web.StreamResponse | None:
        if self._fault is None:
            return None
        self.faulted.append(rec)
        if self._fault == "hang":
            await self._healed.wait()  # released on heal or shutdown; the client gave up long before
            return web.json_response({"error": "hung"}, status=504)
        status = int(self._fault)
        return web.json_response({"error": "injected fault", "status": status}, status=status)

    async def _listen(self, port: int) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", port)
        await self._site.start()
        self.port = self._site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

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
        if (faulty := await self._faulty(rec)) is not None:
            return faulty
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
        await self._listen(0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._healed.set()  # let hanging handlers finish before the server goes
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
