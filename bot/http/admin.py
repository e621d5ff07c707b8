"""Operator endpoints: dead letters, failed inbound messages, re-queueing.

Every call needs the admin token; every change is audited on its ticket.
"""
from __future__ import annotations

import hmac
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, select

from store.outbox import requeue
from store import repo

log = logging.getLogger(__name__)
router = APIRouter(prefix="/admin", include_in_schema=False)


def _authorised(request: Request) -> JSONResponse | None:
    token = request.app.state.gateway.config.admin.api_token
    if token is None or not token.get_secret_value():
        return JSONResponse({"detail": "the admin API is disabled (set admin.api_token)"}, status_code=403)
    auth = request.headers.get("authorization", "")
    given = auth[7:] if auth.lower().startswith("bearer ") else ""
    if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        return JSONResponse({"detail": "missing or wrong admin token"}, status_code=401)
    return None


def list_outbound(conn: Connection, statuses: list[str], limit: int) -> list[dict[str, Any]]:
    M = repo.T_MESSAGE
    rows = conn.execute(
        select(M.c.id, M.c.channel, M.c.kind, M.c.status, M.c.attempts, M.c.error, M.c.ticket_id,
               M.c.created_at, M.c.updated_at)
        .where(M.c.direction == "out", M.c.status.in_(statuses)).order_by(M.c.id.desc()).limit(limit)
    ).mappings()
    return [{**r, "created_at": r["created_at"].isoformat(), "updated_at": r["updated_at"].isoformat()} for r in rows]


def list_failed_inbound(conn: Connection, limit: int) -> list[dict[str, Any]]:
    M = repo.T_MESSAGE
    rows = conn.execute(
        select(M.c.id, M.c.channel, M.c.external_id, M.c.error, M.c.created_at)
        .where(M.c.direction == "in", M.c.status == "failed").order_by(M.c.id.desc()).limit(limit)
    ).mappings()
    return [{**r, "created_at": r["created_at"].isoformat()} for r in rows]


def _requeue_audited(conn: Connection, message_id: int, now: Any) -> bool:
    ok = requeue(conn, message_id, now)
    if ok:
        ticket_id = conn.execute(select(repo.T_MESSAGE.c.ticket_id).where(repo.T_MESSAGE.c.id == message_id)).scalar()
        if ticket_id:
            repo.add_event(conn, ticket_id, "requeue", "admin", now, data={"message_id": message_id})
    return ok


@router.get("/outbox")
async def outbox(request: Request, status: str = "dead,failed", limit: int = 100) -> Any:
    if (denied := _authorised(request)) is not None:
        return denied
    gw = request.app.state.gateway
    statuses = [s for s in status.split(",") if s in ("queued", "sending", "sent", "delivered", "failed", "dead")]
    return await gw.db.read(list_outbound, statuses, max(1, min(limit, 1000)))


@router.post("/outbox/{message_id}/requeue")
async def requeue_message(message_id: int, request: Request) -> Any:
    if (denied := _authorised(request)) is not None:
        return denied
    gw = request.app.state.gateway
    if not await gw.db.write(_requeue_audited, message_id, gw.clock.now()):
        return JSONResponse({"detail": "no dead or failed outbound message with that id"}, status_code=404)
    gw.dispatcher.wake()
    return {"requeued": message_id}


@router.get("/inbound/failed")
async def failed_inbound(request: Request, limit: int = 100) -> Any:
    if (denied := _authorised(request)) is not None:
        return denied
    return await request.app.state.gateway.db.read(list_failed_inbound, max(1, min(limit, 1000)))


@router.post("/inbound/retry")
async def retry_inbound(request: Request) -> Any:
    if (denied := _authorised(request)) is not None:
        return denied
    return {"retried": await request.app.state.gateway.intake.retry_failed()}
