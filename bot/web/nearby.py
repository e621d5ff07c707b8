"""GET /api/v1/sekitar: open reports near a point, for the citizen filling in /lapor (issue 15).

Categorised with the categorizer intake uses, so the list shows the reports the new one would be a
duplicate of; with no text yet (or text no category recognises) every category. Rate-limited per client;
only public fields (bot.public.nearby_reports).
"""
from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bot.public import nearby_reports
from bot.textnorm import MATCH_CHARS
from bot.web.location import Problem
from bot.web.state import WebState, get_state

router = APIRouter(prefix="/api/v1", tags=["public"])
MAX_TEXT = 4000  # as the form's description


class NearbyCategory(BaseModel):
    code: str
    name: str


class NearbyReport(BaseModel):
    tracking_id: str
    url: str
    category: NearbyCategory
    status: str
    status_label: str
    distance_m: int
    created_at: str | None
    description: str


class Nearby(BaseModel):
    radius_m: float
    category: NearbyCategory | None  # what the text was categorised as; null: every category
    reports: list[NearbyReport]


def _number(value: str | None, low: float, high: float) -> float | None:
    try:
        v = float(value or "")
    except ValueError:
        return None
    return v if math.isfinite(v) and low <= v <= high else None


@router.get("/sekitar", response_model=Nearby, summary="Open reports near a point (the /lapor form)",
            responses={400: {"model": Problem}, 429: {"model": Problem}})
async def nearby(request: Request, lat: str | None = None, lon: str | None = None, teks: str = "",
                 lang: str | None = None) -> Any:
    """Open reports within ``duplicates.radius_m`` of (lat, lon), nearest first, of the category ``teks``
    would get (every category when it gets none): tracking ID, category, status, distance rounded to 10 m,
    date, the description as its tracking page shows it. Never the reporter or an exact location."""
    web = get_state(request)
    rules = web.config.duplicates
    wait = await web.nearby_limiter.take(web.client_ip(request))
    if wait:
        return web.api_throttled(wait)
    la, lo = _number(lat, -90, 90), _number(lon, -180, 180)
    if la is None or lo is None:
        return JSONResponse({"detail": web.in_both_languages("api_nearby_bad_point")}, status_code=400)
    if len(teks) > MAX_TEXT:
        return JSONResponse({"detail": web.in_both_languages("api_nearby_bad_text", n=MAX_TEXT)}, status_code=400)
    gw = web.gateway
    language = gw.templates.language(lang or web.lang(request))
    code = gw.categorizer.categorize(teks[:MATCH_CHARS]) if teks.strip() else None
    category = None if code in (None, gw.categorizer.fallback) else code
    reports = await gw.db.read(nearby_reports, rules, la, lo, category, gw.templates, language, web.base_url)
    name = next((r["category"]["name"] for r in reports if r["category"]["code"] == category), None)
    if category is not None and name is None:
        name = _category_name(web, category, language)
    return Nearby(radius_m=rules.radius_m, category=NearbyCategory(code=category, name=name or category)
                  if category else None, reports=[NearbyReport(**r) for r in reports])


def _category_name(web: WebState, code: str, lang: str) -> str:
    for c in web.config.categories:
        if c.code == code:
            return c.name_en if lang == "en" else c.name_id
    return code
