"""Per-request observability: a request ID, the access log, and HTTP metrics by route template.

A pure ASGI middleware (no response buffering, so streaming and uploads are untouched), added
inside the FastAPI app; a 413 from the body limit in front of the app is not counted here.
The access log line has the path without its query string: queries carry reopen tokens,
OAuth codes and sometimes API keys. Metrics use the matched route's template
(``/t/{tracking_id}``), never the raw path, so a scanner cannot create unbounded series.
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from bot import logctx, metrics

log = logging.getLogger("aduan.access")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Tracking IDs in paths (/t/JKT-..., /api/v1/tickets/JKT-...): lines logged for the request name the ticket.
_TRACKING_IN_PATH = re.compile(r"/(?:t|tickets|requests)/([A-Z]{2,5}-[A-Za-z0-9-]{4,40})(?:[/.]|$)")


def _request_id(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _CLIENT_ID.match(candidate):  # a proxy's ID is kept so lines can be joined across hops
                return candidate
            break
    return uuid.uuid4().hex


def _route(scope: dict[str, Any]) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "<unmatched>"


class ObserveMiddleware:
    def __init__(self, app: Any, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        found = _TRACKING_IN_PATH.search(scope.get("path", ""))
        status = 500  # what the client gets if the app raises before answering
        started = time.perf_counter()

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
            await send(message)

        token = logctx.request_id.set(rid)
        try:
            with logctx.ticket(found.group(1) if found else None):
                try:
                    await self.app(scope, receive, send_with_id)
                finally:
                    self._record(scope, status, time.perf_counter() - started)
        finally:
            logctx.request_id.reset(token)

    def _record(self, scope: dict[str, Any], status: int, seconds: float) -> None:
        route = _route(scope)
        metrics.HTTP_REQUESTS.labels(route, scope.get("method", ""), str(status)).inc()
        metrics.HTTP_SECONDS.labels(route).observe(seconds)
        if self.access_log:
            log.info("%s %s %d %.1fms", scope.get("method", ""), scope.get("path", ""), status, seconds * 1000)
