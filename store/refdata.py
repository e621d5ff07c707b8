"""Upserts of the reference data (areas, agencies, categories) that ``bot.refdata`` syncs from config.

Staff are seeded by ``store.staff_directory.seed_staff`` (which never overwrites changes made in the database)."""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import Connection

from store import repo


def upsert_areas(conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        repo.upsert(conn, repo.T_AREA, row, ("code",), ("name", "level", "parent_code", "postal_code", "slug"))


def upsert_agencies(conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        repo.upsert(conn, repo.T_AGENCY, row, ("code",), ("name", "parent_code"))


def upsert_categories(conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        repo.upsert(conn, repo.T_CATEGORY, row, ("code",),
                    ("name_id", "name_en", "agency_code", "coordinate_hours", "resolve_hours"))
