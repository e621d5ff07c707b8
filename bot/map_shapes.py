"""Kelurahan polygons as SVG path strings for the dashboards' choropleth, computed once per geometry version.

``bot.area_boundaries.BoundaryLoader`` builds a :class:`MapShapes` beside the routing index whenever the
polygons change (start-up, a newer ``aduan areas import``), so drawing a map is string formatting only
(``bot.web.choropleth``). The projection is equirectangular with the longitude scaled by cos(latitude) at
Jakarta's latitude: at 6° south its distortion is far below what a screen shows. Coordinates are whole
units of ``UNIT_M`` metres in one frame for the whole province; a kota's map only changes the viewBox.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

UNIT_M = 20.0  # one SVG unit: finer than any screen shows at a province or kota scale
METRES_PER_DEGREE = 111_320.0
SIMPLIFY_DEGREES = 0.0003  # about 33 m: invisible on a province or kota map, drops most vertices (also the
# outlines /api/v1/wilayah.geojson serves to the Leaflet maps, bot/web/outlines.py)
# Kabupaten Administrasi Kepulauan Seribu lies 20-80 km north of the mainland: on the province's map
# its kelurahan are drawn in an inset beside it instead of stretching the map over the sea.
INSET_PREFIXES = ("31.01.",)


@dataclass(frozen=True)
class Shape:
    code: str
    path: str  # SVG path data in the province frame (UNIT_M units, y down)
    bbox: tuple[int, int, int, int]  # min x, min y, max x, max y
    inset: bool  # drawn in the inset on a map that also shows the mainland


@dataclass(frozen=True)
class MapShapes:
    shapes: Mapping[str, Shape]

    def __len__(self) -> int:
        return len(self.shapes)


def _ring_path(coords: list[tuple[float, float]], project: tuple[float, float, float]) -> str:
    lon0, lat0, kx = project
    points: list[str] = []
    last = None
    for lon, lat, *_ in coords[:-1]:  # GeoJSON rings repeat the first point; Z closes the path
        point = (round((lon - lon0) * kx), round((lat0 - lat) * METRES_PER_DEGREE / UNIT_M))
        if point != last:
            points.append(f"{point[0]} {point[1]}")
            last = point
    return "M" + " ".join(points) + "Z" if len(points) >= 3 else ""


def _polygons(geom: BaseGeometry) -> list[Any]:
    return list(getattr(geom, "geoms", [geom]))


def build_map_shapes(polygons: Mapping[str, BaseGeometry]) -> MapShapes:
    """Project and simplify every polygon once; holes are drawn with the even-odd rule."""
    import shapely

    codes = [c for c in sorted(polygons) if not polygons[c].is_empty]
    if not codes:
        return MapShapes({})
    bounds = shapely.total_bounds([polygons[c] for c in codes])
    mainland = [polygons[c] for c in codes if not c.startswith(INSET_PREFIXES)] or [polygons[c] for c in codes]
    lat_mid = float(shapely.total_bounds(mainland)[1] + shapely.total_bounds(mainland)[3]) / 2
    project = (float(bounds[0]), float(bounds[3]), math.cos(math.radians(lat_mid)) * METRES_PER_DEGREE / UNIT_M)
    shapes: dict[str, Shape] = {}
    for code in codes:
        geom = shapely.simplify(polygons[code], SIMPLIFY_DEGREES, preserve_topology=True)
        rings = []
        for poly in _polygons(geom):
            for ring in (poly.exterior, *poly.interiors):
                d = _ring_path(list(ring.coords), project)
                if d:
                    rings.append(d)
        if not rings:
            continue
        minx, miny, maxx, maxy = geom.bounds
        x0, x1 = round((minx - project[0]) * project[2]), round((maxx - project[0]) * project[2])
        y0 = round((project[1] - maxy) * METRES_PER_DEGREE / UNIT_M)
        y1 = round((project[1] - miny) * METRES_PER_DEGREE / UNIT_M)
        shapes[code] = Shape(code, "".join(rings), (x0, y0, x1, y1), code.startswith(INSET_PREFIXES))
    return MapShapes(shapes)
