"""Operator endpoints: dead letters, failed inbound messages, re-queueing.

Every call needs the admin token; every change is audited on its ticket.
"""
from __future__ import annotations

import hmac
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from bot.edge_text import readable_raw
from bot.http.unparsed import reparse_unparsed
from bot.ports import http_gateway
from store import inbound, repo
from store.outbox import requeue

log = logging.getLogger(__name__)
router = APIRouter(prefix="/admin", include_in_schema=False)


def authorised(request: Request) -> JSONResponse | None:
    token = http_gateway(request).config.admin.api_token
    if token is None or not token.get_secret_value():
        return JSONResponse({"detail": "the admin API is disabled (set admin.api_token)"}, status_code=403)
    auth = request.headers.get("authorization", "")
    given = auth[7:] if auth.lower().startswith("bearer ") else ""
    if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        return JSONResponse({"detail": "missing or wrong admin token"}, status_code=401)
    return None


def list_outbound(conn: Connection, statuses: list[str], limit: int) -> list[dict[str, Any]]:
    rows = inbound.outbound_newest(conn, statuses, limit)
    return [{**r, "created_at": r["created_at"].isoformat(), "updated_at": r["updated_at"].isoformat()} for r in rows]


RAW_SHOWN = 4000  # characters of a failed message's raw body shown to the operator


def list_failed_inbound(conn: Connection, limit: int) -> list[dict[str, Any]]:
    rows = inbound.failed_inbound_newest(conn, limit)
    return [{**r, "raw": readable_raw(r["raw"])[:RAW_SHOWN], "created_at": r["created_at"].isoformat()} for r in rows]


discard_failed_inbound = inbound.discard_failed_inbound  # moved to store.inbound; kept for callers


def _requeue_audited(conn: Connection, message_id: int, now: Any) -> bool:
    ok = requeue(conn, message_id, now)
    if ok:
        ticket_id = inbound.ticket_of_message(conn, message_id)
        if ticket_id:
            repo.add_event(conn, ticket_id, "requeue", "admin", now, data={"message_id": message_id})
    return ok


@router.get("/outbox")
async def outbox(request: Request, status: str = "dead,failed", limit: int = 100) -> Any:
    if (denied := authorised(request)) is not None:
        return denied
    gw = http_gateway(request)
    statuses = [s for s in status.split(",") if s in ("queued", "sending", "sent", "delivered", "failed", "dead")]
    return await gw.db.read(list_outbound, statuses, max(1, min(limit, 1000)))


@router.post("/outbox/{message_id}/requeue")
async def requeue_message(message_id: int, request: Request) -> Any:
    if (denied := authorised(request)) is not None:
        return denied
    gw = http_gateway(request)
    if not await gw.db.write(_requeue_audited, message_id, gw.clock.now()):
        return JSONResponse({"detail": "no dead or failed outbound message with that id"}, status_code=404)
    gw.dispatcher.wake()
    return {"requeued": message_id}


@router.get("/inbound/failed")
async def failed_inbound(request: Request, limit: int = 100) -> Any:
    if (denied := authorised(request)) is not None:
        return denied
    return await http_gateway(request).db.read(list_failed_inbound, max(1, min(limit, 1000)))


@router.post("/inbound/retry")
async def retry_inbound(request: Request) -> Any:
    if (denied := authorised(request)) is not None:
        return denied
    gw = http_gateway(request)
    # Failed messages are re-run; kept unparseable bodies are handed to their adapters again.
    return {"retried": await gw.intake.retry_failed() + await reparse_unparsed(gw)}


@router.post("/inbound/{message_id}/discard")
async def discard_inbound(message_id: int, request: Request) -> Any:
    """An operator has inspected a failed inbound message and drops it (audited in the log)."""
    if (denied := authorised(request)) is not None:
        return denied
    gw = http_gateway(request)
    if not await gw.db.write(discard_failed_inbound, message_id, gw.clock.now()):
        return JSONResponse({"detail": "no failed inbound message with that id"}, status_code=404)
    # The audit line names only the message id: its content may identify the reporter.
    log.warning("admin discarded failed inbound message %d", message_id)
    return {"discarded": message_id}
