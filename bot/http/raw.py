"""Turn a Starlette request into the adapters' framework-free RawRequest."""
from __future__ import annotations

from fastapi import Request

from bot.models import RawRequest


async def raw_request(request: Request) -> RawRequest:
    body = await request.body()
    return RawRequest(
        method=request.method,
        path=request.url.path,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params),
        body=body,
        client_ip=request.client.host if request.client else None,
    )
