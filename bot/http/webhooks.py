"""Webhook routes: hand raw requests to adapters, answer after intake commits."""
from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from adapters.errors import WebhookRejected
from bot.http.raw import raw_request
from bot.http.unparsed import keep_unparsed
from bot.ports import http_gateway

log = logging.getLogger(__name__)
router = APIRouter()


@router.api_route("/webhooks/{path:path}", methods=["GET", "POST"], include_in_schema=False)
async def webhook(path: str, request: Request) -> Response:
    gw = http_gateway(request)
    raw = await raw_request(request)
    adapter = gw.registry.webhook_adapter(raw.path)
    if adapter is None:
        return JSONResponse({"detail": f"no channel takes webhooks at {raw.path}"}, status_code=404)
    try:
        result = await adapter.handle_webhook(raw)
    except WebhookRejected as exc:
        log.warning("webhook %s rejected: %s %s", raw.path, exc.status, exc.reason)
        return JSONResponse({"detail": exc.reason}, status_code=exc.status)
    except Exception as exc:  # noqa: BLE001 - keep what we could not parse, never lose it
        log.exception("webhook %s could not be parsed; kept for inspection", raw.path)
        await keep_unparsed(gw, adapter.name, raw, f"{type(exc).__name__}: {exc}")
        return JSONResponse({"detail": "request kept for inspection"}, status_code=202)
    if result.status_updates:
        await gw.intake.record_delivery(result.status_updates)
    if result.messages:
        try:
            await gw.intake.submit(result.messages)
        except Exception:  # noqa: BLE001 - not durable: the provider must retry
            log.exception("intake failed for webhook %s", raw.path)
            return JSONResponse({"detail": "temporarily unavailable, retry later"}, status_code=503,
                                headers={"retry-after": "5"})
    if result.status >= 400 and result.reason:
        return JSONResponse({"detail": result.reason}, status_code=result.status)
    return Response(content=result.body, status_code=result.status, media_type=result.content_type)
