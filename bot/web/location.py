"""Where a point is, for the maps: the kelurahan of the pin on /lapor (``GET /api/v1/lokasi``) and the
kelurahan outlines drawn under it (``GET /api/v1/wilayah.geojson``, built by bot/web/outlines.py).

One code path with intake: both read the gateway's ``AreaResolver`` and its ``BoundaryIndex``, so the
kelurahan the page shows is the one a report filed at that point is routed to.
"""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from bot.areas import KELURAHAN
from bot.routing import APPROXIMATE_METHODS, AreaResolver
from bot.web.state import get_state

router = APIRouter(prefix="/api/v1", tags=["public"])


class LocatedArea(BaseModel):
    code: str
    name: str
    kecamatan: str | None
    kota: str | None


class Location(BaseModel):
    """The kelurahan a report filed at the point would be routed to."""

    area: LocatedArea | None  # null: no kelurahan (outside DKI Jakarta: an officer would place the report)
    method: str  # "coordinates" (inside a polygon), "nearest_centre" (approximate), "needs_placing"
    approximate: bool


class Problem(BaseModel):
    """A 4xx answer of the public map APIs (/api/v1/lokasi, /api/v1/sekitar): why."""

    detail: str


def locate(resolver: AreaResolver, latitude: float, longitude: float) -> Location:
    """The same answer intake gives for a report with these coordinates and no place name."""
    match = resolver.resolve("", latitude, longitude)
    if match is None or match.level != KELURAHAN:
        return Location(area=None, method=match.method if match else "none", approximate=True)
    kel = resolver.get(match.code)
    kec = resolver.get(kel.parent_code or "") if kel else None
    kota = resolver.get(kec.parent_code or "") if kec else None
    return Location(area=LocatedArea(code=match.code, name=kel.name if kel else match.code,
                                     kecamatan=kec.name if kec else None, kota=kota.name if kota else None),
                    method=match.method, approximate=match.method in APPROXIMATE_METHODS)


_LAT = Query(ge=-90, le=90, allow_inf_nan=False, description="Latitude, decimal degrees (WGS84)")
_LON = Query(ge=-180, le=180, allow_inf_nan=False, description="Longitude, decimal degrees (WGS84)")


@router.get("/lokasi", response_model=Location,
            responses={400: {"model": Problem, "description": "lat or lon missing, not a number or out of range"},
                       429: {"model": Problem, "description": "Too many lookups from this client (see Retry-After)"}})
async def location_of_point(request: Request, lat: Annotated[float, _LAT], lon: Annotated[float, _LON]) -> Any:
    """The kelurahan (with its kecamatan and kota) a report at this point is routed to, as /lapor shows it
    while the citizen moves the pin. No ticket data: only the public area list and boundaries."""
    web = get_state(request)
    wait = await web.locate_limiter.take(web.client_ip(request))
    if wait:
        return web.api_throttled(wait)
    return locate(web.gateway.resolver, lat, lon)


@router.get("/wilayah.geojson", response_class=Response,
            responses={200: {"description": "GeoJSON FeatureCollection: one simplified polygon per kelurahan",
                             "content": {"application/geo+json": {"schema": {"type": "object"}}}}})
async def kelurahan_outlines(request: Request) -> Response:
    """Every kelurahan's outline (simplified to about 30 m) with its code and name: the maps draw them, so a
    map without tiles still shows where things are. Empty when no boundaries are loaded."""
    web = get_state(request)
    return Response(web.outlines.body(web.gateway.resolver), media_type="application/geo+json",
                    headers={"cache-control": "public, max-age=3600"})
