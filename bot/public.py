"""The public view of a ticket: what anyone may see, never who reported it (see bot.redact)."""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Connection

from adapters.contract.rows import RowLike
from bot.config import DuplicatesConfig
from bot.duplicates import open_near
from bot.redact import Identity, redact, round_coordinate
from bot.templates import Templates
from store import public as store_public
from store import repo

COLOURS = {
    "MENUNGGU": "red",
    "KOORDINASI": "yellow",
    "DISPOSISI": "yellow",
    "PROSES": "yellow",
    "MENUNGGU_VALIDASI": "yellow",
    "TL_DITOLAK": "yellow",
    "SELESAI": "green",
    "DITOLAK": "grey",
}

def identities(conn: Connection, tickets: Sequence[RowLike]) -> dict[int, Identity]:
    """Each ticket's reporter identity: the reporter row plus every display name their messages carried."""
    if not tickets:
        return {}
    reporters, names = store_public.reporters_and_names(conn, tickets)
    return {t["id"]: Identity.of(reporters.get(t["reporter_id"]), names.get(t["id"], [])) for t in tickets}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def public_ticket(conn: Connection, tracking_id: str, templates: Templates, lang: str | None,
                  public_base_url: str) -> dict[str, Any] | None:
    ticket = repo.ticket_by_tracking_id(conn, tracking_id)
    if ticket is None:
        return None
    lang = templates.language(lang)
    cat = store_public.category(conn, ticket["category_code"])
    agency = store_public.agency(conn, ticket["agency_code"]) if ticket["agency_code"] else None
    area_chain = []
    code = ticket["area_code"]
    while code:
        area = store_public.area(conn, code)
        if area is None:
            break
        area_chain.append({"code": area["code"], "name": area["name"], "level": area["level"]})
        code = area["parent_code"]
    who = identities(conn, [ticket])[ticket["id"]]
    timeline = []
    for e in repo.events_for(conn, ticket["id"], public_only=True):
        timeline.append({
            "at": _iso(e["created_at"]),
            "kind": e["kind"],
            "status": e["to_status"],
            "status_label": templates.status_label(e["to_status"], lang) if e["to_status"] else None,
            "note": redact(e["reason"], who) if e["reason"] else None,
        })
    proof = store_public.latest_proof(conn, ticket["id"])
    base = public_base_url.rstrip("/")
    return {
        "tracking_id": ticket["tracking_id"],
        "status": ticket["status"],
        "status_label": templates.status_label(ticket["status"], lang),
        "status_colour": COLOURS.get(ticket["status"], "grey"),
        "category": {"code": ticket["category_code"],
                     "name": (cat["name_en"] if lang == "en" else cat["name_id"]) if cat else ticket["category_code"]},
        "agency": {"code": agency["code"], "name": agency["name"]} if agency else None,
        "area": area_chain,
        "description": redact(ticket["description"], who),
        "latitude": round_coordinate(ticket["latitude"]),
        "longitude": round_coordinate(ticket["longitude"]),
        "created_at": _iso(ticket["created_at"]),
        "updated_at": _iso(ticket["updated_at"]),
        "coordinate_due": _iso(ticket["coordinate_due"]),
        "resolve_due": _iso(ticket["resolve_due"]),
        "resolved_at": _iso(ticket["resolved_at"]),
        "timeline": timeline,
        "proof_photo_url": f"{base}/media/{proof}" if proof and ticket["status"] == "SELESAI" else None,
        "url": f"{base}/t/{ticket['tracking_id']}",
    }


NEARBY_SHOWN = 10  # reports listed near a point on /lapor
DISTANCE_STEP_M = 10  # distances are shown rounded to this: never a report's exact position


def nearby_reports(conn: Connection, rules: DuplicatesConfig, lat: float, lon: float, category: str | None, templates: Templates,
                   lang: str | None, public_base_url: str) -> list[dict[str, Any]]:
    """Open reports near a point, for the citizen about to file one (GET /api/v1/sekitar): only what their
    tracking pages show (the description through the same redaction), the distance rounded, never the
    reporter or the exact location."""
    lang = templates.language(lang)
    pairs = [(n, t) for n in open_near(conn, rules, lat, lon, category)[:NEARBY_SHOWN]
             if (t := repo.ticket_by_id(conn, n.row.id)) is not None]
    who = identities(conn, [t for _, t in pairs])
    names: dict[str, str] = {}
    base = public_base_url.rstrip("/")
    out = []
    for n, t in pairs:
        code = t["category_code"]
        if code not in names:
            cat = store_public.category(conn, code)
            names[code] = (cat["name_en"] if lang == "en" else cat["name_id"]) if cat else code
        out.append({
            "tracking_id": t["tracking_id"],
            "url": f"{base}/t/{t['tracking_id']}",
            "category": {"code": code, "name": names[code]},
            "status": t["status"],
            "status_label": templates.status_label(t["status"], lang),
            "distance_m": max(DISTANCE_STEP_M, round(n.distance_m / DISTANCE_STEP_M) * DISTANCE_STEP_M),
            "created_at": _iso(t["created_at"]),
            "description": redact(t["description"], who[t["id"]]),
        })
    return out
