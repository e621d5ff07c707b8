"""The FastAPI application: routes only; all work happens in the gateway."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot.http import admin, docs, health, metrics_route, partner_api, webhooks
from bot.http.observe import ObserveMiddleware
from bot.http.limits import BodyLimitMiddleware
from bot.ports import HttpGateway, http_gateway
from bot.public_cache import PublicCache
from bot.reports import PerformanceReport
from bot.version import __version__
from store import public as store_public

log = logging.getLogger(__name__)


# Routes of this module: the public proof photos and the performance figures.
router = APIRouter()


@router.get("/media/{sha256}", include_in_schema=False)
async def media(sha256: str, request: Request) -> Any:
    gw = http_gateway(request)
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return JSONResponse({"detail": "not found"}, status_code=404)
    row = await gw.db.read(store_public.proof_content_type, sha256)
    if row is None:  # only proof photos are public; citizens' own photos never are
        return JSONResponse({"detail": "not found"}, status_code=404)
    try:
        path = await gw.media_public_copy(sha256, row)
    except Exception as exc:  # noqa: BLE001 - e.g. an image bomb stored before the pixel limit: never a 500
        log.warning("proof photo %s cannot be shown: %s", sha256[:12], type(exc).__name__)
        return JSONResponse({"detail": "this photo cannot be shown"}, status_code=404)
    return FileResponse(path, media_type=row, headers={"cache-control": "public, max-age=86400"})

@router.get("/api/v1/performance", tags=["public"], response_model=PerformanceReport,
         responses={400: {"description": "Invalid since, until or by", "content": {"application/json": {
             "schema": {"type": "object", "properties": {"detail": {"type": "string"}}}}}}})
async def performance_figures(request: Request, since: str | None = None, until: str | None = None,
                              by: str = "agency") -> Any:
    """Public SLA performance aggregates per agency or kelurahan (no ticket details)."""
    from bot.reports import ReportError, parse_params, performance

    gw = http_gateway(request)
    try:
        start, end, grouping = parse_params(since, until, by, gw.config.instance.timezone)
    except ReportError as err:
        return JSONResponse({"detail": str(err)}, status_code=400)
    now = gw.clock.now()

    async def compute() -> list[dict[str, Any]]:
        return await gw.db.read_heavy(lambda c: performance(c, start, end, grouping, now=now))

    cache = getattr(request.app.state, "public_cache", None)  # http.public_cache_seconds
    groups = await (cache.get(("performance", start, end, grouping), compute) if cache is not None else compute())
    return {"since": start.isoformat() if start else None, "until": end.isoformat() if end else None,
            "by": grouping, "generated_at": now.isoformat(), "groups": groups}


def create_app(gateway: HttpGateway) -> ASGIApp:
    app = FastAPI(
        title="Aduan",
        version=__version__,
        description="Citizen-complaint gateway: partner intake API and public ticket views.",
        docs_url=None, redoc_url=None,  # /docs is served offline by bot.http.docs
    )
    app.state.gateway = gateway
    app.state.public_cache = PublicCache(gateway.config.http.public_cache_seconds, gateway.clock.now)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", []))
        return JSONResponse({"detail": f"{where}: {first.get('msg', 'invalid request')}"}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    app.include_router(router)
    app.include_router(partner_api.router)
    app.include_router(webhooks.router)
    app.include_router(admin.router)
    app.include_router(health.router)
    metrics_route.install(app, gateway)
    docs.install(app)
    from bot.web import install as install_web  # public pages, dashboards, /lapor, Open311

    install_web(app, gateway)
    http = gateway.config.http
    app.add_middleware(ObserveMiddleware, access_log=http.access_log)  # request ID, access log, HTTP metrics
    outer: ASGIApp = BodyLimitMiddleware(app, http.max_body_bytes, http.max_upload_bytes, http.upload_paths)
    if http.trusted_proxies:
        # The one client-address rule: X-Forwarded-For counts only from these peers (the server
        # itself runs with proxy_headers off, so uvicorn's default trust of 127.0.0.1 never applies).
        # uvicorn types ASGI apps with its own TypedDicts, Starlette with MutableMapping: the same protocol.
        outer = ProxyHeadersMiddleware(outer, trusted_hosts=list(http.trusted_proxies))  # type: ignore[arg-type,assignment]
    return outer
