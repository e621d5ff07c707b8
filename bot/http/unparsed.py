"""Webhook bodies no adapter could parse: kept raw for an operator, re-parsed only on request.

Such a body has no sender and no text, so it is never rebuilt into a
message (that once sent "Mohon tuliskan..." to a recipient called
``unknown``). It is kept as a failed inbound message with the error, the
exact body (base64) and the request line and headers needed to hand it to
its adapter again; headers that carry a secret are not kept, so a channel
that authenticates with one (Telegram) refuses the re-parse and the body
simply stays failed. An operator re-parses with ``POST /admin/inbound/retry``
(e.g. after an adapter fix) or drops it with ``/admin/inbound/{id}/discard``.
"""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bot.edge_text import stored_raw_bytes
from bot.intake import PreparedInbound
from bot.intake_service import UNPARSED_PREFIX, record_failure
from bot.models import InboundMessage, RawRequest
from bot.ports import ReparsePorts, StoreAndClock
from store import inbound, repo

log = logging.getLogger(__name__)
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key",
                             "x-telegram-bot-api-secret-token"})


def _kept_request(raw: RawRequest) -> dict[str, Any]:
    headers = {k: v for k, v in raw.headers.items() if k not in _SECRET_HEADERS}
    return {"unparsed_request": {"method": raw.method, "path": raw.path, "query": raw.query, "headers": headers}}


async def keep_unparsed(gw: StoreAndClock, channel: str, raw: RawRequest, error: str) -> None:
    """Keep a body its adapter could not parse (202 to the provider; nothing is answered)."""
    digest = hashlib.sha256(raw.body).hexdigest()
    kept = InboundMessage(channel=channel, external_id=f"{UNPARSED_PREFIX}{digest}", sender="unknown")
    await gw.db.write(record_failure, PreparedInbound(kept, raw_body=raw.body), error, gw.clock.now(),
                      "unparsed", _kept_request(raw))


def _set(conn: Connection, message_id: int, now: datetime, values: dict[str, Any]) -> None:
    inbound.update_message(conn, message_id, updated_at=now, **values)


async def reparse_unparsed(gw: ReparsePorts, limit: int = 100) -> int:
    """Hand kept bodies to their adapters again; those still unreadable stay failed with the new error."""
    done = 0
    for row in await gw.db.read(inbound.failed_inbound, limit, UNPARSED_PREFIX):
        request = (repo.loads(row["payload"]) or {}).get("unparsed_request")
        if not request:
            continue
        adapter = gw.registry.webhook_adapter(request["path"])
        if adapter is None:
            continue
        raw = RawRequest(method=request["method"], path=request["path"], headers=request["headers"],
                         query=request["query"], body=stored_raw_bytes(row["raw"]))
        try:
            result = await adapter.handle_webhook(raw)
            if result.status_updates:
                await gw.intake.record_delivery(result.status_updates)
            if result.messages:
                await gw.intake.submit(result.messages)
        except Exception as exc:  # noqa: BLE001 - still unreadable (or refused): it stays for the operator
            error = f"still cannot be parsed: {type(exc).__name__}: {getattr(exc, 'reason', exc)}"[:4000]
            await gw.db.write(_set, row["id"], gw.clock.now(), {"error": error})
            continue
        await gw.db.write(_set, row["id"], gw.clock.now(), {"status": "processed", "error": None})
        log.info("kept webhook body %d re-parsed by %s", row["id"], adapter.name)
        done += 1
    return done
