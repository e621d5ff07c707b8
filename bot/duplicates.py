"""Possible duplicate reports (issue 15): what counts as one, found cheaply at any ticket count.

Two tests, each bounded:

* **distance**: an open report of the same category within ``duplicates.radius_m``. Tickets carry the
  cell of a fixed ~64 m grid (``cell_of``, column ``ticket.geo_cell``); the cells a circle of the radius can
  touch (9 for the default 50 m) are read from the partial open-ticket index, then measured exactly
  (haversine, ``bot.boundaries.distance_km``).
* **text**: near-identical text (rapidfuzz token-sort ratio of the normalised texts, at least
  ``duplicates.text_similarity``) from the same kelurahan within ``duplicates.text_window_hours``; only the
  newest ``text_candidates`` reports of the kelurahan in the window are compared, the most alike is linked.
  Two reports that both have coordinates are compared by distance only.

A possible duplicate is only *linked* (``ticket_link``), never merged: officers decide with ``gabung``. The
lookups of a group commit's new tickets run together once it has committed and its citizens are answered, at
the start of the next group's transaction (``take_queued``, ``link``; bot.intake_service): no citizen's answer
waits for them (issue 15: at most 10 % off in-process ingest).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

from rapidfuzz import fuzz, process
from sqlalchemy import Connection

from bot.boundaries import distance_km
from bot.config import DuplicatesConfig
from bot.duplicate_candidates import KeptCandidates
from bot.textnorm import normalize
from store import duplicates as store
from store.duplicates import Point

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
# Texts are compared on their first characters: a complaint says what and where near its start, and a long
# mail's tail (signatures, quoted replies) says nothing about the problem.
TEXT_CHARS = 500


def cell_of(lat: float, lon: float) -> int:
    """The grid cell holding a point, as one integer (row * _COLUMNS + column)."""
    return _cell(math.floor(lat / _CELL_DEGREES), math.floor(lon / _CELL_DEGREES))


def _cell(row: int, column: int) -> int:
    return row * _COLUMNS + column + _COLUMNS // 2


def cells_near(lat: float, lon: float, radius_m: float) -> list[int]:
    """Every cell a circle of ``radius_m`` around the point touches: the cells whose rectangle comes within the
    radius (a cell is narrower away from the equator in longitude). For 50 m that is 4-9 cells, about 6 on
    average, instead of the whole 3 x 3 block: every cell read is an index probe at intake."""
    y, x = lat / _CELL_DEGREES, lon / _CELL_DEGREES
    row, column = math.floor(y), math.floor(x)
    cell_h, cell_w = CELL_M, CELL_M * max(math.cos(math.radians(lat)), 0.05)
    # Metres from the point to each band of cells above/below and left/right (0 for its own); computed once
    # per band, not per cell: this runs for every new report at intake.
    rows = _bands(y - row, cell_h, math.ceil(radius_m / cell_h))
    columns = _bands(x - column, cell_w, math.ceil(radius_m / cell_w))
    return [_cell(row + dr, column + dc) for dr, dy in rows for dc, dx in columns if math.hypot(dy, dx) <= radius_m]


def _bands(fraction: float, size: float, reach: int) -> list[tuple[int, float]]:
    """(offset, metres from the point to the band ``offset`` cells away) for offsets -reach..reach, where
    ``fraction`` (0..1) is where the point sits in its cell."""
    return [(offset, (fraction + (-offset - 1)) * size if offset < 0 else
             (1 - fraction + (offset - 1)) * size if offset > 0 else 0.0) for offset in range(-reach, reach + 1)]


@dataclass(frozen=True)
class Near:
    """An open report near a point."""

    row: Point
    distance_m: float


def _within(rows: Iterable[Point], lat: float, lon: float, radius_m: float, category: str | None,
            older_than: int | None = None) -> list[Near]:
    """The rows within ``radius_m`` of the point (of ``category`` when given; with ids below ``older_than``
    when given), nearest first."""
    found = []
    for row in rows:
        if (older_than is not None and row.id >= older_than) or (category and row.category_code != category):
            continue
        metres = distance_km(lat, lon, row.latitude, row.longitude) * 1000
        if metres <= radius_m:
            found.append(Near(row, metres))
    return sorted(found, key=lambda n: (n.distance_m, n.row.id))


def open_near(conn: Connection, rules: DuplicatesConfig, lat: float, lon: float, category: str | None) -> list[Near]:
    """Open reports within the radius (of ``category`` when given), nearest first."""
    rows = store.open_in_cells(conn, cells_near(lat, lon, rules.radius_m), [category] if category else None,
                               rules.nearby_candidates)
    return _within(rows, lat, lon, rules.radius_m, category)


_QUEUED = "aduan_duplicates_queued"  # conn.info: the new tickets of this transaction, looked at together


@dataclass(frozen=True)
class Queued:
    """A new ticket waiting for its possible-duplicate lookup: what the lookup needs of it, and its time."""

    ticket: Mapping[str, Any]
    rules: DuplicatesConfig
    now: datetime


class Link(NamedTuple):
    """A possible duplicate found: ``ticket_id`` (the newer report) is probably ``other_id``. (A tuple: a frozen
    dataclass cost 4 us to make, and intake makes one or more per new report.)"""

    ticket_id: int
    other_id: int
    reason: str  # distance | text
    distance_m: float | None
    at: datetime


def queue_new_ticket(conn: Connection, rules: DuplicatesConfig, ticket: Mapping[str, Any], now: datetime) -> None:
    """Queue a new ticket for the lookup (``take_queued`` or ``link_queued``): a lookup now would flush the
    group's queued inserts (store.writebehind) at every report."""
    if rules.enabled:
        conn.info.setdefault(_QUEUED, []).append(Queued(ticket, rules, now))


def forget_queued(conn: Connection) -> None:
    conn.info.pop(_QUEUED, None)


def take_queued(conn: Connection) -> list[Queued]:
    """The tickets queued in this transaction, for a lookup after it commits (bot.intake_service)."""
    return conn.info.pop(_QUEUED, None) or []


def link_queued(conn: Connection) -> int:
    """Look up and link the tickets queued in this transaction, inside it (the paths off intake's hot path).
    Returns how many links were queued."""
    return link(conn, take_queued(conn))


# Tickets looked up per statement: the cells of 256 reports (4-9 each) stay well within a statement's
# parameter limit.
LOOKUP_CHUNK = 256


def link(conn: Connection, queued: list[Queued], kept: KeptCandidates | None = None) -> int:
    """Look up committed tickets' possible duplicates and record them; returns how many links were written."""
    return sum(write_links(conn, find_links(conn, queued[i:i + LOOKUP_CHUNK], kept))
               for i in range(0, len(queued), LOOKUP_CHUNK))


def write_links(conn: Connection, links: list[Link]) -> int:
    """Record links found after their tickets committed; a link already there (a recheck) is kept once."""
    return store.add_links(conn, [dict(ticket_id=lk.ticket_id, other_ticket_id=lk.other_id, kind=POSSIBLE,
                                       reason=lk.reason, distance_m=lk.distance_m, created_at=lk.at)
                                  for lk in links])


def find_links(conn: Connection, queued: list[Queued], kept: KeptCandidates | None = None) -> list[Link]:
    """The possible duplicates of ``queued`` tickets among older reports (a report of the same group included).
    Reads only. The candidates come from the database (one query for the cells of the whole group, one per
    kelurahan), or from ``kept`` (intake's, kept current between lookups; every match checked)."""
    if not queued:
        return []
    rules, now = queued[0].rules, queued[0].now
    tickets = [q.ticket for q in queued]
    if kept is not None:
        kept.catch_up(conn, now, tickets)
    links = _distance_links(conn, rules, now, tickets, kept)
    if rules.text_window_hours > 0:
        links += _text_links(conn, rules, now, tickets, links, kept)
    return links


def _distance_links(conn: Connection, rules: DuplicatesConfig, now: datetime, tickets: list[Mapping[str, Any]],
                    kept: KeptCandidates | None) -> list[Link]:
    placed = [t for t in tickets if t.get("latitude") is not None and t.get("longitude") is not None]
    if not placed:
        return []
    cells = {t["id"]: cells_near(t["latitude"], t["longitude"], rules.radius_m) for t in placed}
    if kept is not None:
        candidates = {i: kept.open_in_cells(conn, cs, rules.nearby_candidates) for i, cs in cells.items()}
    else:  # one query for the whole group's cells
        in_cell: dict[int, list[Point]] = {}
        wanted = sorted({c for cs in cells.values() for c in cs})
        for row in store.open_in_cells(conn, wanted, None, rules.nearby_candidates * len(placed)):
            in_cell.setdefault(row.geo_cell, []).append(row)
        candidates = {i: [r for c in cs for r in in_cell.get(c, ())] for i, cs in cells.items()}
    near = {t["id"]: _within(candidates[t["id"]][:rules.nearby_candidates], t["latitude"], t["longitude"],
                             rules.radius_m, t["category_code"], t["id"]) for t in placed}
    while kept is not None:  # kept points may have closed since: only open ones are linked
        chosen = {n.row.id: n.row for ns in near.values() for n in ns[:NEAREST_LINKED]}
        still_open = store.open_among(conn, chosen)
        if len(still_open) == len(chosen):
            break
        kept.forget_points([row for i, row in chosen.items() if i not in still_open])  # then the next nearest
        near = {i: [n for n in ns if n.row.id in still_open or n.row.id not in chosen] for i, ns in near.items()}
    return [Link(i, n.row.id, "distance", round(n.distance_m, 1), now)
            for i, ns in near.items() for n in ns[:NEAREST_LINKED]]


def _text_links(conn: Connection, rules: DuplicatesConfig, now: datetime, tickets: list[Mapping[str, Any]],
                found: list[Link], kept: KeptCandidates | None) -> list[Link]:
    since = now - timedelta(hours=rules.text_window_hours)
    if kept is None:
        return _most_alike_recent(conn, rules, now, since, tickets, found, _RecentInDatabase())
    while True:  # a kept report merged since: dropped, and the lookup redone without it (rare: officers merge)
        links = _most_alike_recent(conn, rules, now, since, tickets, found, kept)
        gone = store.merged(conn, [lk.other_id for lk in links])
        if not gone:
            kept.trim(since)
            return links
        kept.forget_texts(gone)


class _RecentInDatabase:
    """The kelurahan's newest reports read afresh for every lookup (the paths off intake's hot path)."""

    @staticmethod
    def recent(conn: Connection, area: str, since: datetime, cap: int) -> Sequence[Mapping[str, Any]]:
        return store.recent_in_area(conn, area, since, cap, TEXT_CHARS)


def _most_alike_recent(conn: Connection, rules: DuplicatesConfig, now: datetime, since: datetime,
                       tickets: list[Mapping[str, Any]], found: list[Link],
                       source: KeptCandidates | _RecentInDatabase) -> list[Link]:
    by_area: dict[str, list[Mapping[str, Any]]] = {}
    by_ticket: dict[int, set[int]] = {}
    for link in found:
        by_ticket.setdefault(link.ticket_id, set()).add(link.other_id)
    for t in tickets:
        if t.get("area_code") and t.get("description"):
            by_area.setdefault(t["area_code"], []).append(t)
    links: list[Link] = []
    for area, group in by_area.items():
        recent = source.recent(conn, area, since, rules.text_candidates + len(group))
        texts: dict[int, str] = {}
        for t in group:
            linked = by_ticket.get(t["id"], set())
            # Two reports that both have coordinates are compared by distance only: the same words
            # ("lampu jalan mati") far apart in one kelurahan are two problems.
            located = t.get("latitude") is not None
            older = [r for r in recent if r["id"] < t["id"]][:rules.text_candidates]
            others = {r["id"]: r["description"] for r in older
                      if r["id"] not in linked and not (located and r["located"])}
            if not others:
                continue
            for other_id, raw in others.items():
                if other_id not in texts:
                    texts[other_id] = _comparable(raw)
            best = _most_alike(sorted_tokens(t["description"][:TEXT_CHARS]),
                               {i: texts[i] for i in others}, rules.text_similarity)
            if best is not None:
                links.append(Link(t["id"], best, "text", None, now))
    return links


def recent_to_recheck(conn: Connection, rules: DuplicatesConfig, now: datetime) -> list[Queued]:
    """The tickets made in the last ``RECHECK_MINUTES`` (at most ``RECHECK_TICKETS``), to look up again: intake
    links a group's tickets just after its commit, so a process stopped in between left them unlinked. Run at
    start; finding a link that is already there is harmless (``write_links`` keeps it once)."""
    if not rules.enabled:
        return []
    rows = store.created_since(conn, now - timedelta(minutes=RECHECK_MINUTES), RECHECK_TICKETS)
    return [Queued(dict(row), rules, now) for row in rows]


# A group's links are written within milliseconds of its commit; a few minutes back covers a crash in
# between with room to spare, and bounds the work at start.
RECHECK_MINUTES = 10
RECHECK_TICKETS = 5000


def sorted_tokens(text: str) -> str:
    """The normalised text's tokens in sorted order: rapidfuzz's token-sort ratio is the plain ratio of these
    (so each text is split and sorted once, not once per pair)."""
    return " ".join(sorted(normalize(text).split()))


@lru_cache(maxsize=4096)
def _comparable(text: str) -> str:
    """``sorted_tokens`` of a candidate: the same recent reports of a busy kelurahan are candidates for group
    after group. (A new report's own text is not cached: it is compared once.)"""
    return sorted_tokens(text)


def _most_alike(mine: str, others: Mapping[int, str], cutoff: float) -> int | None:
    """The most alike of ``others`` (token-sort ratio at least ``cutoff``; the first of equals), compared in one
    call into rapidfuzz: about 18 us for 10 candidates of 500 characters against 100 us pair by pair."""
    best = process.extractOne(mine, others, scorer=fuzz.ratio, score_cutoff=cutoff)
    return None if best is None else int(best[2])
