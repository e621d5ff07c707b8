"""Services and tickets as GeoReport v2 records: SELESAI and DITOLAK are ``closed``,
status_notes from the latest public event, dates in the instance's time zone."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from bot.lifecycle import CLOSED_STATUSES
from bot.public import identities
from bot.redact import redact, round_coordinate
from bot.web.state import WebState
from store import repo

CLOSED = sorted(s.value for s in CLOSED_STATUSES)
# One optional attribute for every service: a landmark helps the kelurahan find the spot.
ATTRIBUTES = [{"variable": True, "code": "patokan", "datatype": "string", "required": False,
               "datatype_description": "Teks bebas / free text, max. 300",
               "order": 1, "description": "Patokan lokasi (landmark), mis. depan masjid / e.g. opposite the mosque",
               "values": []}]


def w3(value: datetime | None, web: WebState) -> str | None:
    """W3C/ISO-8601 with the instance's UTC offset, e.g. 2026-03-02T08:00:00+07:00."""
    return value.astimezone(web.tz).isoformat(timespec="seconds") if value is not None else None


def service_records(web: WebState) -> list[dict[str, Any]]:
    agencies = {a.code: a.name for a in web.config.agencies}
    out = []
    for c in web.config.categories:
        out.append({
            "service_code": c.code,
            "service_name": c.name_id,
            "description": f"{c.name_id} / {c.name_en}",
            "metadata": True,
            "type": "realtime",
            "keywords": ", ".join(c.keywords[:12]) or None,
            "group": agencies.get(c.agency or "", None),
        })
    return out


def _records(conn: Connection, rows: list[Any], web: WebState) -> list[dict[str, Any]]:
    """Open311 records for ticket rows, with six batched queries (no N+1); texts through bot.redact."""
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    E, AT = repo.T_EVENT, repo.T_ATTACHMENT
    latest: dict[int, Any] = {}
    for ev in conn.execute(select(E.c.ticket_id, E.c.to_status, E.c.reason, E.c.kind)
                           .where(E.c.ticket_id.in_(bindparam("ids", expanding=True)), E.c.public.is_(True))
                           .order_by(E.c.ticket_id, E.c.created_at, E.c.id), {"ids": ids}).mappings():
        latest[ev["ticket_id"]] = ev
    proofs: dict[int, str] = {}
    for tid, sha in conn.execute(select(AT.c.ticket_id, AT.c.sha256)
                                 .where(AT.c.ticket_id.in_(bindparam("ids", expanding=True)), AT.c.kind == "proof")
                                 .order_by(AT.c.id), {"ids": ids}):
        proofs[tid] = sha
    cats = {r["code"]: r for r in conn.execute(select(repo.T_CATEGORY)).mappings()}
    agencies = dict(conn.execute(select(repo.T_AGENCY.c.code, repo.T_AGENCY.c.name)).all())
    areas = {r["code"]: r for r in conn.execute(select(repo.T_AREA.c.code, repo.T_AREA.c.name, repo.T_AREA.c.level,
                                                       repo.T_AREA.c.parent_code, repo.T_AREA.c.postal_code)).mappings()}
    templates = web.gateway.templates
    who = identities(conn, rows)
    out = []
    for r in rows:
        chain, code = [], r["area_code"]
        while code and code in areas and len(chain) < 4:
            chain.append(areas[code])
            code = areas[code]["parent_code"]
        address = ", ".join(("Kel. " if a["level"] == "kelurahan" else "Kec. " if a["level"] == "kecamatan" else "")
                            + a["name"] for a in chain) or None
        zipcode = next((a["postal_code"] for a in chain if a["postal_code"]), None)
        ev = latest.get(r["id"])
        label = templates.status_label(r["status"], "id")
        notes = label
        if ev is not None and ev["reason"]:
            notes = f"{label}: {redact(ev['reason'], who[r['id']])}"
        cat = cats.get(r["category_code"])
        closed = r["status"] in CLOSED
        sha = proofs.get(r["id"])
        out.append({
            "service_request_id": r["tracking_id"],
            "status": "closed" if closed else "open",
            "status_notes": notes,
            "service_name": cat["name_id"] if cat else None,
            "service_code": r["category_code"],
            "description": redact(r["description"], who[r["id"]]) or None,
            "agency_responsible": agencies.get(r["agency_code"]) if r["agency_code"] else None,
            "service_notice": None,
            "requested_datetime": w3(r["created_at"], web),
            "updated_datetime": w3(r["closed_at"] if closed and r["closed_at"] else r["updated_at"], web),
            "expected_datetime": w3(r["resolve_due"], web),
            "address": address,
            "address_id": r["area_code"],
            "zipcode": zipcode,
            "lat": round_coordinate(r["latitude"]),
            "long": round_coordinate(r["longitude"]),
            "media_url": f"{web.base_url}/media/{sha}" if sha and r["status"] == "SELESAI" else None,
        })
    return out


_T = repo.T_TICKET
_COLUMNS = [_T.c.id, _T.c.tracking_id, _T.c.status, _T.c.category_code, _T.c.agency_code, _T.c.area_code,
            _T.c.description, _T.c.created_at, _T.c.updated_at, _T.c.closed_at, _T.c.resolve_due, _T.c.latitude,
            _T.c.longitude, _T.c.reporter_id]


def query_requests(conn: Connection, web: WebState, *, ids: list[str] | None, codes: list[str], statuses: list[str],
                   start: datetime, end: datetime, page: int, page_size: int) -> list[dict[str, Any]]:
    q = select(*_COLUMNS)
    if ids is not None:
        q = q.where(_T.c.tracking_id.in_(ids))
    else:
        q = q.where(_T.c.created_at >= start, _T.c.created_at <= end)
        if codes:
            q = q.where(_T.c.category_code.in_(codes))
        if statuses == ["open"]:
            q = q.where(_T.c.status.not_in(CLOSED))
        elif statuses == ["closed"]:
            q = q.where(_T.c.status.in_(CLOSED))
    q = q.order_by(_T.c.created_at.desc(), _T.c.id.desc()).limit(page_size).offset((page - 1) * page_size)
    rows = list(conn.execute(q).mappings())
    return _records(conn, rows, web)


def one_request(conn: Connection, web: WebState, tracking_id: str) -> dict[str, Any] | None:
    rows = list(conn.execute(select(*_COLUMNS).where(_T.c.tracking_id == tracking_id)).mappings())
    recs = _records(conn, rows, web)
    return recs[0] if recs else None
