"""The possible-duplicate lookup's candidates, kept in memory between lookups (issue 15).

Intake looks up every group commit's new tickets (bot/duplicates.py): the open reports near each placed one,
and the newest reports of each one's kelurahan for the text test. Read from the database, that is an index
probe per grid cell and a query per kelurahan of every group (about 1,500 probes and 150 queries for a group of
256 at Jakarta's spread), and those reads also push the group's own pages out of the writer's page cache.
Kept here:

* **points**: the open reports with coordinates, by grid cell, read in one pass the first time and again every
  ``RELOAD_MINUTES``;
* **texts**: each kelurahan's newest reports, read the first time one of its reports is looked up;
* both are then kept current with the tickets newer than the newest seen: one query per lookup, whichever
  process wrote them.

What the catch-up cannot see, a ticket closed, merged, reopened or placed later, is made good two ways: every
match is checked against the database before it is linked (``open_among``, ``merged``), so a stale entry costs
a check and never a wrong link; and the points are read afresh every ``RELOAD_MINUTES``, so a reopened or newly
placed report is a candidate again within that time. Memory: about 250 bytes per open placed report; above
``MAX_POINTS`` of them the points are not kept and the lookup reads the cells from the database.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence

from sqlalchemy import Connection

from store import duplicates as store
from store.duplicates import Point

# Read at most this many new tickets per lookup: more means this process was idle while others wrote; all is
# then read afresh when next needed, instead of catching up row by row.
CATCH_UP_ROWS = 5000
# On PostgreSQL two processes take ids from one sequence and may commit them out of order: the catch-up reads
# this many ids below the newest seen again, so a ticket committed late by another process is not skipped.
# (SQLite's writers take turns: ids are committed in order.)
PG_OVERLAP = 512
RELOAD_MINUTES = 10
MAX_POINTS = 200_000

Row = Mapping[str, Any]


class KeptCandidates:
    """Open placed reports by cell, and the newest reports of each kelurahan looked at (newest first)."""

    def __init__(self, keep_texts: int, chars: int) -> None:
        self.keep_texts, self.chars = keep_texts, chars
        self._areas: dict[str, list[Row]] = {}
        self._cells: dict[int, dict[int, Point]] | None = None  # None: not read yet, or too many to keep
        self._cells_read_at: datetime | None = None
        self._seen: int | None = None  # the highest ticket id read

    # --- keeping current -------------------------------------------------------------------------------

    def catch_up(self, conn: Connection, now: datetime) -> None:
        """Add the tickets written since the last lookup; read the points afresh when they are due."""
        if self._cells_read_at is None or now - self._cells_read_at >= timedelta(minutes=RELOAD_MINUTES):
            self._read_points(conn, now)
        if self._seen is None:
            self._seen = store.newest_id(conn)
            return
        overlap = PG_OVERLAP if conn.dialect.name == "postgresql" else 0
        rows = store.newer_than(conn, self._seen - overlap, CATCH_UP_ROWS, self.chars)
        if len(rows) >= CATCH_UP_ROWS:  # far behind: start again
            self._areas.clear()
            self._seen = store.newest_id(conn)
            self._read_points(conn, now)
            return
        touched = set()
        for row in rows:
            self._seen = max(self._seen, row["id"])
            if self._cells is not None and row["open"] and row["geo_cell"] is not None:
                self._cells.setdefault(row["geo_cell"], {})[row["id"]] = Point(
                    row["id"], row["latitude"], row["longitude"], row["category_code"], row["geo_cell"])
            kept = self._areas.get(row["area_code"]) if row["area_code"] else None
            if kept is not None and all(r["id"] != row["id"] for r in kept):
                kept.append(row)
                touched.add(row["area_code"])
        for area in touched:
            self._areas[area].sort(key=lambda r: r["id"], reverse=True)

    def _read_points(self, conn: Connection, now: datetime) -> None:
        rows = store.open_points(conn, MAX_POINTS + 1)
        self._cells_read_at = now
        if len(rows) > MAX_POINTS:
            self._cells = None
            return
        self._cells = {}
        for point in rows:
            self._cells.setdefault(point.geo_cell, {})[point.id] = point

    def forget_points(self, points: list[Point]) -> None:
        """Drop reports found closed."""
        for point in points:
            (self._cells or {}).get(point.geo_cell, {}).pop(point.id, None)

    def forget_texts(self, ticket_ids: set[int]) -> None:
        """Drop reports found merged."""
        for area, kept in self._areas.items():
            self._areas[area] = [r for r in kept if r["id"] not in ticket_ids]

    def trim(self, since: datetime) -> None:
        """Keep each kelurahan's newest ``keep_texts`` reports of the window: the candidates of any later one."""
        for area, kept in self._areas.items():
            self._areas[area] = [r for r in kept if r["created_at"] >= since][:self.keep_texts]

    # --- reading ----------------------------------------------------------------------------------------

    def open_in_cells(self, conn: Connection, cells: Sequence[int], cap: int) -> list[Point]:
        """As ``store.duplicates.open_in_cells`` (to be checked with ``open_among`` before linking)."""
        if self._cells is None:
            return store.open_in_cells(conn, cells, None, cap)
        return [row for cell in cells for row in self._cells.get(cell, {}).values()]

    def recent(self, conn: Connection, area: str, since: datetime, cap: int) -> Sequence[Row]:
        """As ``store.duplicates.recent_in_area``, newest first by id (to be checked with ``merged``)."""
        kept = self._areas.get(area)
        if kept is None:
            kept = sorted(store.recent_in_area(conn, area, since, max(cap, self.keep_texts), self.chars),
                          key=lambda r: r["id"], reverse=True)
            self._areas[area] = kept
        return [r for r in kept if r["created_at"] >= since][:cap]
