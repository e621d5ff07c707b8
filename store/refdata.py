"""Upserts of the reference data (areas, agencies, categories, staff) that ``bot.refdata`` syncs from config."""
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


def upsert_staff(conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Staff rows by code; every column but the code is updated (``active`` too)."""
    for row in rows:
        repo.upsert(conn, repo.T_STAFF, row, ("code",), [c for c in row if c != "code"])
