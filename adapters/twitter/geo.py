"""Locations from tweets: exact points first, small places second.

GeoJSON order is ``[longitude, latitude]`` everywhere on X: v2
``geo.coordinates.coordinates``, v1.1 ``coordinates.coordinates``, v2 place
``geo.bbox`` = ``[west, south, east, north]`` and the v1.1 place
``bounding_box.coordinates`` polygon.
"""
from __future__ import annotations

from typing import Any

LatLon = tuple[float, float]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _valid(lat: float, lon: float) -> bool:
    return -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


def point(coordinates: Any) -> LatLon | None:
    """(lat, lon) from a GeoJSON ``[lon, lat]`` pair."""
    if not isinstance(coordinates, (list, tuple)) or len(coordinates) < 2:
        return None
    lon, lat = _number(coordinates[0]), _number(coordinates[1])
    if lon is None or lat is None or not _valid(lat, lon):
        return None
    return lat, lon


def bbox_centre(bbox: Any, max_span: float) -> LatLon | None:
    """Centre of ``[west, south, east, north]`` if the box is small enough."""
    if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
        return None
    w, s, e, n = (_number(v) for v in bbox)
    if None in (w, s, e, n):
        return None
    assert w is not None and s is not None and e is not None and n is not None
    if e - w > max_span or n - s > max_span or e < w or n < s:
        return None
    lat, lon = (s + n) / 2, (w + e) / 2
    return (lat, lon) if _valid(lat, lon) else None


def polygon_bbox(polygon: Any) -> list[float] | None:
    """``[west, south, east, north]`` of a v1.1 ``bounding_box`` polygon."""
    try:
        ring = polygon[0]
        lons = [float(p[0]) for p in ring]
        lats = [float(p[1]) for p in ring]
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    if not lons:
        return None
    return [min(lons), min(lats), max(lons), max(lats)]


def v2_location(tweet: dict[str, Any], places: dict[str, dict[str, Any]], max_span: float) -> LatLon | None:
    """Location of an API v2 tweet (``geo`` field, ``includes.places``)."""
    geo = tweet.get("geo") or {}
    found = point((geo.get("coordinates") or {}).get("coordinates"))
    if found is not None:
        return found
    place = places.get(str(geo.get("place_id") or ""))
    if place is None:
        return None
    return bbox_centre((place.get("geo") or {}).get("bbox"), max_span)


def v11_location(status: dict[str, Any], max_span: float) -> LatLon | None:
    """Location of a v1.1 tweet (``coordinates``, else ``place``)."""
    found = point((status.get("coordinates") or {}).get("coordinates"))
    if found is not None:
        return found
    box = ((status.get("place") or {}).get("bounding_box") or {}).get("coordinates")
    return bbox_centre(polygon_bbox(box), max_span)
