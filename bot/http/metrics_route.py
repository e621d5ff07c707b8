"""``GET /metrics``: the Prometheus exposition, behind an optional bearer token.

Served on the public port unless ``metrics.port`` is set; then only a separate listener
(``metrics_app``) answers it, so it can stay on an internal interface.
"""
from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from bot.metrics import exposition
from store.outbox import lane_backlog

router = APIRouter()


def _authorised(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


@router.get("/metrics", include_in_schema=False)
async def metrics_endpoint(request: Request) -> Any:
    gw = request.app.state.gateway
    secret = gw.config.metrics.token
    token = secret.get_secret_value() if secret else ""
    if token and not _authorised(request, token):
        return JSONResponse({"detail": "a valid bearer token is required"}, status_code=401,
                            headers={"www-authenticate": 'Bearer realm="metrics"'})
    backlog = await gw.db.read(lane_backlog)
    body, content_type = exposition(backlog, gw.clock.now())
    return Response(body, media_type=content_type)


def install(app: FastAPI, gateway: Any) -> None:
    """Add /metrics to the public app when it is enabled and has no port of its own."""
    cfg = gateway.config.metrics
    if cfg.enabled and cfg.port is None:
        app.include_router(router)


def metrics_app(gateway: Any) -> FastAPI:
    """The app of the separate metrics listener: /metrics only."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.gateway = gateway
    app.include_router(router)
    return app
