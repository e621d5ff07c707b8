"""Request body limits as ASGI middleware: oversized bodies get 413 before parsing."""
from __future__ import annotations

import json
from typing import Any

from starlette.types import Message, Receive, Scope, Send


class BodyLimitMiddleware:
    """Refuse bodies over the limit, by Content-Length or while streaming."""

    def __init__(self, app: Any, default_limit: int, upload_limit: int, upload_paths: list[str]) -> None:
        self.app = app
        self.default_limit = default_limit
        self.upload_limit = upload_limit
        self.upload_paths = tuple(upload_paths)

    def limit_for(self, path: str) -> int:
        return self.upload_limit if path.startswith(self.upload_paths) else self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    if int(value) > limit:
                        await _reject(send, limit)
                        return
                except ValueError:
                    await _reject(send, limit, status=400, reason="invalid Content-Length")
                    return
        # No Content-Length (chunked): read the body up to the limit before the
        # app sees it. Raising mid-stream would surface as a 500 from the
        # framework's error middleware, not a 413.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            seen += len(body)
            if seen > limit:
                await _reject(send, limit)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        buffered = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": buffered, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _reject(send: Send, limit: int, status: int = 413, reason: str | None = None) -> None:
    body = json.dumps({"detail": reason or f"request body is larger than {limit} bytes"}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
