"""The kelurahan outlines the maps draw (``GET /api/v1/wilayah.geojson``): the routing polygons,
simplified, as GeoJSON text built once per set of polygons."""
from __future__ import annotations

import json
from typing import Any

from bot.map_shapes import SIMPLIFY_DEGREES  # the dashboards' maps and the Leaflet outlines agree
from bot.routing import AreaResolver

OUTLINE_DECIMALS = 5


class Outlines:
    """The kelurahan outlines as GeoJSON text, rebuilt only when the resolver's polygons change
    (an ``aduan areas import`` swaps the index in)."""

    def __init__(self) -> None:
        self._index: Any = self  # never an index: the first call builds
        self._body = b""

    def body(self, resolver: AreaResolver) -> bytes:
        index = resolver.boundaries
        if index is not self._index:
            self._body, self._index = outlines_geojson(resolver), index
        return self._body


def outlines_geojson(resolver: AreaResolver) -> bytes:
    """A FeatureCollection of every kelurahan polygon, simplified, with ``code`` and ``name``."""
    import shapely

    features = []
    index = resolver.boundaries
    for code, geom in index.shapes() if index is not None else []:
        simple = shapely.set_precision(shapely.simplify(geom, SIMPLIFY_DEGREES), 10**-OUTLINE_DECIMALS)
        if simple.is_empty:
            continue
        area = resolver.get(code)
        features.append({"type": "Feature", "properties": {"code": code, "name": area.name if area else code},
                         "geometry": shapely.geometry.mapping(simple)})
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")).encode()
