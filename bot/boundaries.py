"""Kelurahan polygons as a spatial index: point-in-polygon and nearest-centre lookups.

One code path for every source of polygons (the ``routing.boundaries_geojson`` file and the
polygons ``aduan areas import`` stored in the database): both end up as ``(code, geometry)``
pairs given to :class:`BoundaryIndex`. shapely's STRtree over prepared geometries does the
work; it is imported lazily so text-only deployments do not pay for GEOS at start-up.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Centre:
    """A kelurahan's centre (latitude, longitude), e.g. its polygon's centroid."""

    code: str
    latitude: float
    longitude: float


def valid_point(latitude: Any, longitude: Any) -> bool:
    """Finite numbers within the WGS84 range (a location payload is citizen input)."""
    if isinstance(latitude, bool) or isinstance(longitude, bool):
        return False
    if not isinstance(latitude, (int, float)) or not isinstance(longitude, (int, float)):
        return False
    return math.isfinite(latitude) and math.isfinite(longitude) and abs(latitude) <= 90 and abs(longitude) <= 180


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def polygon_centre(code: str, geom: BaseGeometry) -> Centre:
    """The centroid, or a point surely inside when the centroid is not (a ring, a crescent, islands)."""
    point = geom.centroid if geom.centroid.within(geom) else geom.representative_point()
    return Centre(code, point.y, point.x)


class BoundaryIndex:
    """Which kelurahan contains a point; which kelurahan centre is nearest to it."""

    def __init__(self, polygons: Mapping[str, BaseGeometry], centres: Iterable[Centre] = ()) -> None:
        import shapely

        self._codes = sorted(polygons)
        geoms = [polygons[c] for c in self._codes]
        self._geoms = geoms
        self._tree = None
        if geoms:
            shapely.prepare(geoms)
            self._tree = shapely.STRtree(geoms)
        self._point = shapely.Point
        known = {c.code: c for c in centres}
        for code, geom in polygons.items():  # a polygon's own centre unless one was given
            if code not in known and not geom.is_empty:
                known[code] = polygon_centre(code, geom)
        self._centres = [known[c] for c in sorted(known)]
        self._centre_tree = shapely.STRtree([shapely.Point(c.longitude, c.latitude) for c in self._centres]) \
            if self._centres else None

    @property
    def polygons(self) -> int:
        return len(self._codes)

    @property
    def centres(self) -> int:
        return len(self._centres)

    def shapes(self) -> list[tuple[str, BaseGeometry]]:
        """(code, polygon) of every kelurahan that has one, by code (the maps draw them)."""
        return list(zip(self._codes, self._geoms))

    def locate(self, latitude: float, longitude: float) -> str | None:
        """The kelurahan whose polygon contains the point (holes excluded); on a shared border
        the lowest code, so the answer never depends on the order polygons were loaded in."""
        if self._tree is None or not valid_point(latitude, longitude):
            return None
        hits = self._tree.query(self._point(longitude, latitude), predicate="intersects")  # x = longitude
        return self._codes[int(min(hits))] if len(hits) else None  # codes are sorted: lowest index = lowest code

    def nearest_centre(self, latitude: float, longitude: float, max_km: float) -> str | None:
        """The kelurahan with the nearest centre within ``max_km``; ties go to the lowest code.

        The tree finds the nearest centre in plain degrees; every centre within 2 % more of that
        is then compared by great-circle distance (a longitude degree is shorter than a latitude
        degree away from the equator, so the planar nearest may not be the true nearest)."""
        if self._centre_tree is None or not valid_point(latitude, longitude):
            return None
        point = self._point(longitude, latitude)
        nearest = self._centre_tree.query_nearest(point, return_distance=True)
        radius = float(nearest[1][0]) * 1.02 + 1e-12
        candidates = [self._centres[int(i)] for i in self._centre_tree.query(point, predicate="dwithin", distance=radius)]
        best = min(candidates or [self._centres[int(nearest[0][0])]],
                   key=lambda c: (distance_km(latitude, longitude, c.latitude, c.longitude), c.code))
        return best.code if distance_km(latitude, longitude, best.latitude, best.longitude) <= max_km else None
