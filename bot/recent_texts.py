"""Each kelurahan's newest reports, kept in memory for the text test of the possible-duplicate lookup (issue 15).

The text test compares a new report with the newest ``text_candidates`` reports of its kelurahan in the
window (bot/duplicates.py). Read from the database, that is one query per kelurahan of every group commit
(about 150 for a group of 256 at Jakarta's spread, a quarter of the lookup's cost at 1,000,000 tickets). Kept
here, a kelurahan is read once, the first time a report of it is looked up; after that only the tickets newer
than the newest one seen are read, in one query per lookup, whichever process wrote them.

Texts never change. A ticket merged since it was kept is dropped when the lookup finds it among its best
matches (``forget``), so a stale entry costs a check, never a wrong link.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Sequence

from sqlalchemy import Connection

from store import duplicates as store

# Read at most this many new tickets per lookup: more means this process was idle while others wrote; the
# kelurahan are then read afresh when next needed, instead of catching up row by row.
CATCH_UP_ROWS = 5000
# On PostgreSQL two processes take ids from one sequence and may commit them out of order: the catch-up reads
# this many ids below the newest seen again, so a ticket committed late by another process is not skipped.
# (SQLite's writers take turns: ids are committed in order.)
PG_OVERLAP = 512


class RecentTexts:
    """The newest reports of each kelurahan looked at, newest first, at least ``keep`` of each."""

    def __init__(self, keep: int, chars: int) -> None:
        self.keep, self.chars = keep, chars
        self._areas: dict[str, list[Mapping[str, Any]]] = {}
        self._seen: int | None = None  # the highest ticket id read

    def catch_up(self, conn: Connection) -> None:
        """Add the tickets written since the last lookup to the kelurahan kept."""
        if self._seen is None:  # nothing kept yet: every kelurahan is read when first needed
            self._seen = store.newest_id(conn)
            return
        overlap = PG_OVERLAP if conn.dialect.name == "postgresql" else 0
        rows = store.newer_than(conn, self._seen - overlap, CATCH_UP_ROWS, self.chars)
        if len(rows) >= CATCH_UP_ROWS:
            self._areas.clear()
            self._seen = store.newest_id(conn)
            return
        touched = set()
        for row in rows:
            self._seen = max(self._seen, row["id"])
            kept = self._areas.get(row["area_code"])
            if kept is not None and all(r["id"] != row["id"] for r in kept):
                kept.append(row)
                touched.add(row["area_code"])
        for area in touched:
            self._areas[area].sort(key=lambda r: r["id"], reverse=True)

    def recent(self, conn: Connection, area: str, since: datetime, cap: int) -> Sequence[Mapping[str, Any]]:
        """As ``store.duplicates.recent_in_area``: the kelurahan's newest reports since ``since`` (ids in
        descending order here), at most ``cap``."""
        kept = self._areas.get(area)
        if kept is None:
            kept = sorted(store.recent_in_area(conn, area, since, max(cap, self.keep), self.chars),
                          key=lambda r: r["id"], reverse=True)
            self._areas[area] = kept
        return [r for r in kept if r["created_at"] >= since][:cap]

    def forget(self, ticket_ids: set[int]) -> None:
        """Drop tickets found merged."""
        for area, kept in self._areas.items():
            self._areas[area] = [r for r in kept if r["id"] not in ticket_ids]

    def trim(self, since: datetime) -> None:
        """Keep each kelurahan's newest ``keep`` reports of the window: the candidates of any later ticket."""
        for area, kept in self._areas.items():
            self._areas[area] = [r for r in kept if r["created_at"] >= since][:self.keep]
