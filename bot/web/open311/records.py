"""Services and tickets as GeoReport v2 records: SELESAI and DITOLAK are ``closed``,
status_notes from the latest public event, dates in the instance's time zone."""
from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, Callable, Mapping

from sqlalchemy import Connection

from bot.lifecycle import CLOSED_STATUSES
from bot.public import identities
from bot.redact import redact, round_coordinate
from bot.web.state import WebState
from store import open311 as store_open311

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


def _places(areas: Mapping[str, Any]) -> Callable[[str | None], tuple[str | None, str | None]]:
    """An area code's address ("Kel. X, Kec. Y, Kota") and postal code, each walked once per request."""
    @functools.cache
    def place(code: str | None) -> tuple[str | None, str | None]:
        chain: list[Any] = []
        while code and code in areas and len(chain) < 4:
            chain.append(areas[code])
            code = areas[code]["parent_code"]
        address = ", ".join(("Kel. " if a["level"] == "kelurahan" else "Kec. " if a["level"] == "kecamatan" else "")
                            + a["name"] for a in chain) or None
        return address, next((a["postal_code"] for a in chain if a["postal_code"]), None)

    return place


def _records(conn: Connection, rows: list[Any], web: WebState) -> list[dict[str, Any]]:
    """Open311 records for ticket rows, with six batched queries (no N+1); texts through bot.redact.

    A listing builds up to a thousand records per request: what is the same for many of them (an area's
    address, a status label, a category's name) is computed once per request.
    """
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    reasons = store_open311.latest_public_reasons(conn, ids)
    proofs = store_open311.latest_proofs(conn, ids)
    cats, agencies, areas = store_open311.reference_maps(conn)
    place = _places(areas)
    label = functools.cache(functools.partial(web.gateway.templates.status_label, lang="id"))
    service_names = {code: cat["name_id"] for code, cat in cats.items()}
    who = identities(conn, rows)
    tz, media = web.tz, f"{web.base_url}/media/"
    out = []
    for r in rows:
        tid, status = r["id"], r["status"]
        address, zipcode = place(r["area_code"])
        notes = label(status)
        reason = reasons.get(tid)
        if reason:
            notes = f"{notes}: {redact(reason, who[tid])}"
        closed = status in CLOSED
        sha = proofs.get(tid)
        updated = r["closed_at"] if closed and r["closed_at"] else r["updated_at"]
        due = r["resolve_due"]
        out.append({
            "service_request_id": r["tracking_id"],
            "status": "closed" if closed else "open",
            "status_notes": notes,
            "service_name": service_names.get(r["category_code"]),
            "service_code": r["category_code"],
            "description": redact(r["description"], who[tid]) or None,
            "agency_responsible": agencies.get(r["agency_code"]) if r["agency_code"] else None,
            "service_notice": None,
            # w3() inlined: three dates per record, a thousand records
            "requested_datetime": r["created_at"].astimezone(tz).isoformat(timespec="seconds"),
            "updated_datetime": updated.astimezone(tz).isoformat(timespec="seconds") if updated else None,
            "expected_datetime": due.astimezone(tz).isoformat(timespec="seconds") if due else None,
            "address": address,
            "address_id": r["area_code"],
            "zipcode": zipcode,
            "lat": round_coordinate(r["latitude"]),
            "long": round_coordinate(r["longitude"]),
            "media_url": media + sha if sha and status == "SELESAI" else None,
        })
    return out


def query_requests(conn: Connection, web: WebState, *, ids: list[str] | None, codes: list[str], statuses: list[str],
                   start: datetime, end: datetime, page: int, page_size: int) -> list[dict[str, Any]]:
    open_only = True if statuses == ["open"] else False if statuses == ["closed"] else None
    rows = store_open311.request_rows(conn, ids=ids, codes=codes, open_only=open_only, closed=CLOSED, start=start,
                                      end=end, page=page, page_size=page_size)
    return _records(conn, rows, web)


def one_request(conn: Connection, web: WebState, tracking_id: str) -> dict[str, Any] | None:
    recs = _records(conn, store_open311.request_row(conn, tracking_id), web)
    return recs[0] if recs else None
