"""Reads behind the public views of a ticket (tracking page, partner API, Open311).

They return rows; what may be shown, and the redaction of the reporter's
identity, stay in ``bot.public`` and ``bot.web.open311``.
"""
from __future__ import annotations

import json
from typing import Any, Sequence

from sqlalchemy import Connection, RowMapping, bindparam, select

from adapters.contract.rows import RowLike
from store import repo
from store.plainrows import plain_rows

R, M, E, AT = repo.T_REPORTER, repo.T_MESSAGE, repo.T_EVENT, repo.T_ATTACHMENT
CAT, AG, AREA = repo.T_CATEGORY, repo.T_AGENCY, repo.T_AREA


def reporters_and_names(conn: Connection, tickets: Sequence[RowLike]
                        ) -> tuple[dict[int, dict[str, Any]], dict[int, list[str]]]:
    """The tickets' reporter rows by id, and per ticket every display name its inbound messages carried."""
    reporters = {r["id"]: r for r in plain_rows(
        conn, select(R.c.id, R.c.address, R.c.display_name).where(R.c.id.in_(bindparam("rids", expanding=True))),
        {"rids": sorted({t["reporter_id"] for t in tickets})})}
    names: dict[int, list[str]] = {}
    for row in plain_rows(conn, select(M.c.ticket_id, M.c.payload)
                          .where(M.c.ticket_id.in_(bindparam("ids", expanding=True)), M.c.direction == "in"),
                          {"ids": [t["id"] for t in tickets]}):
        data = _json(row["payload"])
        if isinstance(data.get("sender_name"), str):
            names.setdefault(row["ticket_id"], []).append(data["sender_name"])
    return reporters, names


def _json(payload: str | None) -> dict[str, Any]:
    try:
        data = json.loads(payload) if payload else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def category(conn: Connection, code: str | None) -> RowMapping | None:
    return conn.execute(select(CAT).where(CAT.c.code == code)).mappings().first()


def agency(conn: Connection, code: str) -> RowMapping | None:
    return conn.execute(select(AG).where(AG.c.code == code)).mappings().first()


def area(conn: Connection, code: str) -> RowMapping | None:
    return conn.execute(select(AREA).where(AREA.c.code == code)).mappings().first()


def latest_proof(conn: Connection, ticket_id: int) -> str | None:
    """The sha256 of the ticket's latest proof photo."""
    return conn.execute(
        select(AT.c.sha256).where(AT.c.ticket_id == ticket_id, AT.c.kind == "proof").order_by(AT.c.id.desc()).limit(1)
    ).scalar()


def proof_content_type(conn: Connection, sha256: str) -> str | None:
    """The content type of a proof photo, None when ``sha256`` is not a proof (only proofs are public)."""
    return conn.execute(
        select(AT.c.content_type).where(AT.c.sha256 == sha256, AT.c.kind == "proof").limit(1)).scalar()
