"""The possible-duplicate lookup's candidates, kept in memory between lookups (issue 15).

Intake looks up every group commit's new tickets (bot/duplicates.py): the open reports near each placed one,
and the newest reports of each one's kelurahan for the text test. Read from the database, that is an index
probe per grid cell and a query per kelurahan of every group (about 1,500 probes and 150 queries for a group of
256 at Jakarta's spread). Kept here:

* **points**: the open reports with coordinates, by grid cell: all of them read once when intake starts
  (``warm``, one pass over the partial index), or each cell the first time it is needed;
* **texts**: each kelurahan's newest reports, read the first time one of its reports is looked up;
* both are then kept current with the lookup's own new tickets, and with the tickets other processes wrote
  since the last lookup (one query, which finds none when this process is the only writer).

What that cannot see, a ticket closed, merged, reopened or placed later by an officer, is made good two ways:
every match is checked against the database before it is linked (``open_among``, ``merged``), so a stale entry
costs a check, never a wrong link; and the cells are forgotten every ``RELOAD_MINUTES`` (then read again cell by
cell), so a reopened or newly placed report is a candidate again within that time. Memory is bounded: about 150
bytes per open placed report kept, at most ``MAX_POINTS`` of them (then cells are read as needed, and at most
``MAX_CELLS`` of those are kept).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence

from sqlalchemy import Connection

from store import duplicates as store
from store.duplicates import Point

# Read at most this many tickets of other processes per lookup: more means this process was idle while others
# wrote; everything is then read afresh when next needed, instead of caught up row by row.
CATCH_UP_ROWS = 5000
# On PostgreSQL two processes take ids from one sequence and may commit them out of order: the catch-up reads
# this many ids below the newest seen again, so a ticket committed late by another process is not skipped.
# (SQLite's writers take turns: ids are committed in order.)
PG_OVERLAP = 512
RELOAD_MINUTES = 10
MAX_CELLS = 200_000
MAX_POINTS = 300_000

Row = Mapping[str, Any]


class KeptCandidates:
    """Open placed reports of the cells looked at, and the newest reports of each kelurahan looked at."""

    def __init__(self, keep_texts: int, chars: int) -> None:
        self.keep_texts, self.chars = keep_texts, chars
        self._areas: dict[str, list[Row]] = {}  # newest first
        self._cells: dict[int, list[Point]] = {}
        self._point_ids: set[int] = set()  # the ids in _cells
        self._every_cell = False  # every open placed report is kept: a cell not in _cells has none
        self._cells_since: datetime | None = None  # when the cells kept were first read
        self._seen: int | None = None  # the highest ticket id kept
        self._touched: set[str] = set()  # kelurahan whose list grew since the last trim

    # --- keeping current -------------------------------------------------------------------------------

    def warm(self, conn: Connection, now: datetime) -> None:
        """Keep every open placed report (at intake's start): the lookups then read no cell."""
        points = store.open_points(conn, MAX_POINTS + 1)
        self._cells.clear()
        self._point_ids.clear()
        self._cells_since, self._seen = now, store.newest_id(conn)
        self._every_cell = len(points) <= MAX_POINTS
        if self._every_cell:
            for point in points:
                self._cells.setdefault(point.geo_cell, []).append(point)
            self._point_ids = {point.id for point in points}

    def catch_up(self, conn: Connection, now: datetime, own: Sequence[Row]) -> None:
        """Keep the lookup's own new tickets (``own``, committed), and read what other processes wrote since."""
        if (self._cells_since is None or now - self._cells_since >= timedelta(minutes=RELOAD_MINUTES)
                or len(self._cells) > MAX_CELLS):
            self._cells.clear()
            self._point_ids.clear()
            self._cells_since, self._every_cell = now, False
        if self._seen is None:  # nothing kept yet: cells and kelurahan are read when first needed
            self._seen = max([store.newest_id(conn), *(t["id"] for t in own)])
            return
        overlap = PG_OVERLAP if conn.dialect.name == "postgresql" else 0
        # Up to the newest of ``own``: a newer ticket is never a candidate for them (a lookup in a process of
        # its own, bot/duplicate_worker.py, may run after later groups committed; they come with their lookup).
        upto = max((t["id"] for t in own), default=self._seen)
        others = store.newer_than(conn, self._seen - overlap, upto, [t["id"] for t in own], CATCH_UP_ROWS, self.chars)
        if len(others) >= CATCH_UP_ROWS:  # far behind: start again (what is needed is read afresh)
            self._areas.clear()
            self._cells.clear()
            self._point_ids.clear()
            self._every_cell = False
            self._seen = upto
            return
        for row in (*own, *others):
            self._keep(row)

    def _keep(self, row: Row) -> None:
        """Keep a ticket, once: it may be kept already (read again after an overlap, or with a cell or a kelurahan
        read after it committed)."""
        self._seen = max(self._seen or 0, row["id"])
        cell = row.get("geo_cell")
        if cell is not None and row.get("open", True) and (self._every_cell or cell in self._cells):  # new: open
            kept_cell = self._cells.setdefault(cell, [])
            if row["id"] not in self._point_ids:
                kept_cell.append(Point(row["id"], row["latitude"], row["longitude"], row["category_code"], cell))
                self._point_ids.add(row["id"])
        kept = self._areas.get(row["area_code"]) if row["area_code"] else None
        if kept is not None and row["description"]:  # one read twice is kept once by ``trim``
            kept.append(dict(id=row["id"], located=row["latitude"] is not None, created_at=row["created_at"],
                             description=row["description"][:self.chars]))
            self._touched.add(row["area_code"])

    def forget_points(self, points: list[Point]) -> None:
        """Drop reports found closed."""
        for point in points:
            if point.geo_cell in self._cells:
                self._cells[point.geo_cell] = [p for p in self._cells[point.geo_cell] if p.id != point.id]
            self._point_ids.discard(point.id)

    def forget_texts(self, ticket_ids: set[int]) -> None:
        """Drop reports found merged."""
        for area, kept in self._areas.items():
            self._areas[area] = [r for r in kept if r["id"] not in ticket_ids]

    def trim(self, since: datetime) -> None:
        """Keep each kelurahan's newest ``keep_texts`` reports of the window, once each: the candidates of any
        later report."""
        for area in self._touched:
            self._areas[area] = [r for r in _newest_first(self._areas[area]) if r["created_at"] >= since][:self.keep_texts]
        self._touched.clear()

    # --- reading ----------------------------------------------------------------------------------------

    def open_in_cells(self, conn: Connection, cells: Sequence[int], cap: int) -> list[Point]:
        """As ``store.duplicates.open_in_cells`` (to be checked with ``open_among`` before linking)."""
        unknown = [] if self._every_cell else [c for c in cells if c not in self._cells]
        if unknown:
            rows = store.open_in_cells(conn, unknown, None, cap + 1)
            if len(rows) > cap:  # a crowd: not kept, read again next time
                return rows[:cap] + [p for c in cells for p in self._cells.get(c, ())]
            for c in unknown:
                self._cells[c] = []
            for point in rows:
                self._cells[point.geo_cell].append(point)
                self._point_ids.add(point.id)
        return [p for c in cells for p in self._cells.get(c, ())]

    def recent(self, conn: Connection, area: str, since: datetime, cap: int) -> Sequence[Row]:
        """As ``store.duplicates.recent_in_area``, newest first by id (to be checked with ``merged``)."""
        kept = self._areas.get(area)
        if kept is None:
            kept = self._areas[area] = _newest_first(store.recent_in_area(conn, area, since, max(cap, self.keep_texts),
                                                                          self.chars))
        elif area in self._touched:  # grown since the last trim: in order again, a report read twice once
            kept = self._areas[area] = _newest_first(kept)
        return [r for r in kept if r["created_at"] >= since][:cap]


def _newest_first(rows: Sequence[Row]) -> list[Row]:
    """By id, newest first, each report once."""
    return list({r["id"]: r for r in sorted(rows, key=lambda r: r["id"], reverse=True)}.values())
