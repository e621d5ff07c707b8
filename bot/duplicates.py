"""Possible duplicate reports (issue 15): what counts as one, found cheaply at any ticket count.

Two tests, each bounded:

* **distance**: an open report of the same category within ``duplicates.radius_m``. Tickets carry the
  cell of a fixed ~64 m grid (``cell_of``, column ``ticket.geo_cell``); the cells a circle of the radius can
  touch (9 for the default 50 m) are read from the partial open-ticket index, then measured exactly
  (haversine, ``bot.boundaries.distance_km``).
* **text**: near-identical text (rapidfuzz token-sort ratio of the normalised texts, at least
  ``duplicates.text_similarity``) from the same kelurahan within ``duplicates.text_window_hours``; only the
  newest ``text_candidates`` reports of the kelurahan in the window are compared, the most alike is linked.

A possible duplicate is only *linked* (``ticket_link``), never merged: officers decide with ``gabung``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

from rapidfuzz import fuzz
from sqlalchemy import Connection, RowMapping

from bot.boundaries import distance_km
from bot.config import DuplicatesConfig
from bot.textnorm import MATCH_CHARS, normalize
from store import duplicates as store

# The grid: cells of CELL_M metres of latitude (and as many degrees of longitude). Fixed, because the cells
# are stored; a little wider than the default radius even at 38 degrees from the equator, so 50 m reads 9
# cells; a larger radius reads more. Migration 0016 holds a copy of this formula.
CELL_M = 64.0
_CELL_DEGREES = CELL_M / 111_320
_COLUMNS = 1_000_000  # cells per row of the grid: more than 360 degrees' worth, so rows never overlap
POSSIBLE, MERGED = "possible_duplicate", "merged"
# Links recorded per new report: the nearest reports within the radius, and the most alike text. More
# would only repeat the same hint to the officer (and cost writes at a busy spot).
NEAREST_LINKED = 3


def cell_of(lat: float, lon: float) -> int:
    """The grid cell holding a point, as one integer (row * _COLUMNS + column)."""
    return _cell(math.floor(lat / _CELL_DEGREES), math.floor(lon / _CELL_DEGREES))


def _cell(row: int, column: int) -> int:
    return row * _COLUMNS + column + _COLUMNS // 2


def cells_near(lat: float, lon: float, radius_m: float) -> list[int]:
    """Every cell a circle of ``radius_m`` around the point can touch (a cell is narrower away from the
    equator in longitude, so more columns are read there)."""
    row, column = math.floor(lat / _CELL_DEGREES), math.floor(lon / _CELL_DEGREES)
    rows = math.ceil(radius_m / CELL_M)
    columns = math.ceil(radius_m / (CELL_M * max(math.cos(math.radians(lat)), 0.05)))
    return [_cell(row + dr, column + dc) for dr in range(-rows, rows + 1) for dc in range(-columns, columns + 1)]


@dataclass(frozen=True)
class Near:
    """An open report near a point."""

    row: RowMapping
    distance_m: float


def open_near(conn: Connection, rules: DuplicatesConfig, lat: float, lon: float, category: str | None,
              *, exclude: int | None = None) -> list[Near]:
    """Open reports within the radius (of ``category`` when given), nearest first."""
    found = []
    for row in store.open_in_cells(conn, cells_near(lat, lon, rules.radius_m), category, rules.nearby_candidates):
        if row["id"] == exclude or row["latitude"] is None or row["longitude"] is None:
            continue
        metres = distance_km(lat, lon, row["latitude"], row["longitude"]) * 1000
        if metres <= rules.radius_m:
            found.append(Near(row, metres))
    return sorted(found, key=lambda n: (n.distance_m, n.row["id"]))


def link_new_ticket(conn: Connection, rules: DuplicatesConfig, ticket: Mapping[str, Any], now: datetime) -> int:
    """Link a ticket made in this transaction to its possible duplicates; returns how many links."""
    if not rules.enabled:
        return 0
    linked: set[int] = set()
    lat, lon = ticket.get("latitude"), ticket.get("longitude")
    if lat is not None and lon is not None:
        for near in open_near(conn, rules, lat, lon, ticket["category_code"], exclude=ticket["id"])[:NEAREST_LINKED]:
            store.add_link(conn, ticket["id"], near.row["id"], POSSIBLE, "distance", round(near.distance_m, 1), now,
                           new_ticket=True)
            linked.add(near.row["id"])
    if ticket.get("area_code") and rules.text_window_hours > 0 and ticket.get("description"):
        since = now - timedelta(hours=rules.text_window_hours)
        mine = normalize(ticket["description"][:MATCH_CHARS])
        best: tuple[float, int] | None = None
        for row in store.recent_in_area(conn, ticket["area_code"], since, rules.text_candidates + 1):
            if row["id"] == ticket["id"] or row["id"] in linked:
                continue
            score = fuzz.token_sort_ratio(mine, normalize(row["description"][:MATCH_CHARS]),
                                          score_cutoff=rules.text_similarity)
            if score and (best is None or score > best[0]):
                best = (score, row["id"])
        if best is not None:
            store.add_link(conn, ticket["id"], best[1], POSSIBLE, "text", None, now, new_ticket=True)
            linked.add(best[1])
    return len(linked)
