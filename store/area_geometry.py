"""Stored kelurahan boundaries and centres (table ``area_geometry``): written by ``aduan areas import``,
read at start-up to build the routing index."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select

from store import repo
from store.tables import AreaGeometry

T_AREA_GEOMETRY = repo.table_of(AreaGeometry)
_UPDATED = ("geojson", "centroid_lat", "centroid_lon", "source", "imported_at")


def upsert_geometries(conn: Connection, rows: Iterable[dict[str, Any]]) -> int:
    """Insert or replace one row per area code: re-importing the same file changes nothing but the time."""
    count = 0
    for row in rows:
        repo.upsert(conn, T_AREA_GEOMETRY, row, ("area_code",), _UPDATED)
        count += 1
    return count


def upsert_centres(conn: Connection, rows: Iterable[dict[str, Any]]) -> int:
    """Centres without polygons: a stored polygon keeps its geometry, only its centre is replaced."""
    count = 0
    for row in rows:
        repo.upsert(conn, T_AREA_GEOMETRY, dict(row, geojson=None), ("area_code",),
                    ("centroid_lat", "centroid_lon", "source", "imported_at"))
        count += 1
    return count


def all_geometries(conn: Connection) -> list[RowMapping]:
    t = T_AREA_GEOMETRY
    return list(conn.execute(select(t.c.area_code, t.c.geojson, t.c.centroid_lat, t.c.centroid_lon)
                             .order_by(t.c.area_code)).mappings())


def last_import(conn: Connection) -> datetime | None:
    """When anything was last imported (the server reloads its index when this changes)."""
    return conn.execute(select(func.max(T_AREA_GEOMETRY.c.imported_at))).scalar()
