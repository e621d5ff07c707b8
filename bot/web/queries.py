"""The web pages' data: the reads live in ``store.dashboard``; here what is done with them in Python
(the reporter's identity redacted from descriptions, the SLA work's per-agency figures)."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping

from bot.public import identities
from bot.redact import redact
from store import dashboard as store_dashboard
# Re-exported: the web modules and tests call them as ``queries.*``.
from store.dashboard import (CLOSED, OPEN, STATUS_GROUPS, STATUS_ORDER, Dashboard, all_areas, area_chain,  # noqa: F401
                             children_figures,
                             dashboard, find_area, kelurahan_options, names_for, staff_by_code, staff_by_login,
                             week_start, weekly_sla)

log = logging.getLogger(__name__)


# --- agencies' figures -------------------------------------------------------------

def performance_rows(conn: Connection, since: datetime, until: datetime, now: datetime) -> list[dict[str, Any]] | None:
    """Per-agency figures from ``bot.reports.performance`` (the SLA work) when it is there, in the
    dashboard's columns; None when it is not (the dashboard's own table is shown instead)."""
    try:
        from bot.reports import performance
    except ImportError:
        return None
    try:
        rows = performance(conn, since, until, "agency", now=now)
    except Exception:  # noqa: BLE001 - an older or newer signature: fall back to the dashboard's own table
        log.warning("bot.reports.performance failed; using the dashboard's own agency table", exc_info=True)
        return None
    out = []
    for r in rows or []:
        if not isinstance(r, dict):
            return None
        ratio = r.get("resolved_within_sla")
        out.append({
            "name": r.get("name") if r.get("key") is not None else None,
            "tickets": r.get("tickets"), "resolved": r.get("resolved"), "backlog": r.get("backlog"),
            "overdue": r.get("overdue"),
            "in_sla_pct": round(100 * ratio) if isinstance(ratio, (int, float)) else None,
            "coordinate_hours": _round(r.get("coordinate_hours_mean")),
            "resolve_hours": _round(r.get("resolve_hours_mean")),
        })
    return out


def _round(value: Any) -> float | None:
    return round(float(value), 1) if isinstance(value, (int, float)) else None


# --- staff ---------------------------------------------------------------------------

def staff_tickets(conn: Connection, scope: Any | None, areas: list[str] | None, *,
                  limit: int = 200) -> list[dict[str, Any]]:
    """Tickets of ``areas`` (None: the city) within an officer's ``scope`` (``bot.staff.scope``), newest first."""
    rows = store_dashboard.staff_ticket_rows(conn, scope, areas, limit=limit)
    who = identities(conn, rows)
    for r in rows:  # officers see the problem, never who reported it
        r["description"] = redact(r["description"], who[r["id"]])
    return rows


def staff_scope_label(staff: RowMapping) -> str:
    parts = [p for p in (staff["area_code"], staff["agency_code"]) if p]
    return " / ".join(parts) if parts else ("*" if staff["role"] in ("admin", "validator") else "-")
