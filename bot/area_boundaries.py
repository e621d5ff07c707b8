"""Keeps the resolver's polygons in step with the database: loaded at start-up and again when
``aduan areas import`` (another process) has stored newer ones."""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import RowMapping

from bot.area_import import BoundaryFileError, load_boundary_file
from bot.areas import Area
from bot.boundaries import BoundaryIndex, Centre
from bot.map_shapes import MapShapes, build_map_shapes
from store import area_geometry as geometry_store
from store.db import Database

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from bot.routing import AreaResolver

log = logging.getLogger(__name__)


Rows = Sequence[Mapping[str, Any]] | Sequence[RowMapping]


def merged_polygons(rows: Rows, file_polygons: Mapping[str, BaseGeometry]) -> dict[str, BaseGeometry]:
    """The ``routing.boundaries_geojson`` file's polygons and the stored rows'; what ``aduan areas import``
    stored wins for the codes it covers (it is the operator's later word)."""
    from shapely.geometry import shape

    polygons: dict[str, BaseGeometry] = dict(file_polygons)
    for row in rows:
        if row["geojson"]:
            polygons[row["area_code"]] = shape(json.loads(row["geojson"]))
    return polygons


def build_index(rows: Rows, file_polygons: Mapping[str, BaseGeometry],
                polygons: Mapping[str, BaseGeometry] | None = None) -> BoundaryIndex | None:
    """The index over the merged polygons (``merged_polygons``, unless given) and the stored centres.
    None when there is nothing to index."""
    if polygons is None:
        polygons = merged_polygons(rows, file_polygons)
    centres = [Centre(row["area_code"], row["centroid_lat"], row["centroid_lon"]) for row in rows]
    if not polygons and not centres:
        return None
    return BoundaryIndex(polygons, centres)


def file_polygons(path: Path | None, areas: Sequence[Area]) -> dict[str, BaseGeometry]:
    """The ``routing.boundaries_geojson`` file's polygons. A missing or unreadable file is logged and
    routing goes on without it (names, stored polygons, the fallbacks): it never stops the process."""
    if path is None:
        return {}
    try:
        return load_boundary_file(path, areas)
    except (OSError, BoundaryFileError) as err:
        log.error("routing.boundaries_geojson not loaded, routing by coordinates uses stored polygons only: %s", err)
        return {}


class BoundaryLoader:
    def __init__(self, db: Database, resolver: AreaResolver, file_polygons: Mapping[str, BaseGeometry]) -> None:
        self.db, self.resolver, self.file_polygons = db, resolver, file_polygons
        self.loaded_at: datetime | None = None
        self.map_shapes = MapShapes({})  # the dashboards' choropleth paths, rebuilt with the index

    def _build(self, rows: Rows) -> tuple[BoundaryIndex | None, MapShapes]:
        polygons = merged_polygons(rows, self.file_polygons)
        return build_index(rows, self.file_polygons, polygons), build_map_shapes(polygons)

    async def reload(self, force: bool = False) -> bool:
        """Rebuild the index if an import happened since the last load; True when it was rebuilt."""
        stamp = await self.db.read(geometry_store.last_import)
        if not force and stamp == self.loaded_at:
            return False
        rows = await self.db.read(geometry_store.all_geometries)
        index, shapes = await asyncio.to_thread(self._build, rows)  # GEOS work off the loop
        self.resolver.use_boundaries(index)
        self.map_shapes = shapes
        self.loaded_at = stamp
        log.info("area boundaries loaded: %d polygons, %d centres",
                 index.polygons if index else 0, index.centres if index else 0)
        return True
