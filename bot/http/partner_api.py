"""The partner-app intake API (JAKI/Qlue-style geotagged apps)."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from adapters.contract import WebhookRejected
from bot.http.raw import raw_request
from bot.ports import http_gateway, partner_reports
from bot.public import public_ticket
from bot.tracking import normalize

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["partner"])


class ReportCreated(BaseModel):
    tracking_id: str
    status: str
    url: str
    duplicate: bool = False


class Problem(BaseModel):
    detail: str


@router.post(
    "/reports",
    status_code=201,
    response_model=ReportCreated,
    responses={200: {"model": ReportCreated, "description": "A repeated idempotency key: the same ticket"},
               400: {"model": Problem}, 401: {"model": Problem}, 413: {"model": Problem}, 503: {"model": Problem}},
    openapi_extra={"requestBody": {"content": {
        "application/json": {"schema": {"type": "object", "required": ["reporter_id", "idempotency_key"], "properties": {
            "text": {"type": "string", "maxLength": 4000}, "reporter_id": {"type": "string"},
            "idempotency_key": {"type": "string"}, "latitude": {"type": "number"}, "longitude": {"type": "number"},
            "photo_url": {"type": "string", "format": "uri"}, "language": {"type": "string", "enum": ["id", "en"]}}}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "text": {"type": "string"}, "reporter_id": {"type": "string"}, "idempotency_key": {"type": "string"},
            "latitude": {"type": "number"}, "longitude": {"type": "number"},
            "photo": {"type": "string", "format": "binary"}}}}}}},
)
async def create_report(request: Request) -> Any:
    """Create a report for a partner app's user. Needs the partner's API key (Bearer or X-API-Key)."""
    gw = http_gateway(request)
    adapter = partner_reports(gw)
    raw = await raw_request(request)
    try:
        report = adapter.parse_report(raw)
        if report.photo_url:
            report.message.attachments.append(await adapter.fetch_photo(report.photo_url))
    except WebhookRejected as exc:
        return JSONResponse({"detail": exc.reason}, status_code=exc.status)
    try:
        (outcome,) = await gw.intake.submit([report.message])
    except Exception:  # noqa: BLE001
        log.exception("partner report could not be stored")
        return JSONResponse({"detail": "temporarily unavailable, retry later"}, status_code=503,
                            headers={"retry-after": "5"})
    if outcome.tracking_id is None:
        detail = "report kept for processing; retry with the same idempotency key later" if outcome.action == "failed" \
            else "message was handled as a command, no ticket was created"
        return JSONResponse({"detail": detail}, status_code=202)
    # A new ticket is MENUNGGU by definition: skip the read on the hot path.
    status = "MENUNGGU" if outcome.action == "new_ticket" else await gw.db.read(_status_of, outcome.tracking_id)
    body = ReportCreated(tracking_id=outcome.tracking_id, status=status,
                         url=gw.policy.tracking_url(outcome.tracking_id), duplicate=outcome.duplicate)
    return JSONResponse(body.model_dump(), status_code=200 if outcome.duplicate else 201)


def _status_of(conn: Any, tracking_id: str) -> str:
    from store import repo

    row = repo.ticket_by_tracking_id(conn, tracking_id)
    return row["status"] if row else "UNKNOWN"


@router.get("/tickets/{tracking_id}", responses={404: {"model": Problem}, 429: {"model": Problem}})
async def get_ticket(tracking_id: str, request: Request, lang: str | None = None) -> Any:
    """The public view of a ticket: status, timeline, agency, deadlines; never the reporter."""
    gw = http_gateway(request)
    web = request.app.state.web
    wait = await web.lookup_wait(request)
    if wait:
        return web.api_throttled(wait)
    canonical = normalize(tracking_id, gw.config.instance.tracking_prefix)
    if canonical is None:
        return JSONResponse({"detail": "not a valid tracking ID; check it and try again"}, status_code=404)
    view = await gw.db.read(public_ticket, canonical, gw.templates, lang, gw.config.instance.public_base_url)
    if view is None:
        return JSONResponse({"detail": "no report with this tracking ID"}, status_code=404)
    return view
