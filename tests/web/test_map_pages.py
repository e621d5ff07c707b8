"""The maps' server side: GET /api/v1/lokasi (the kelurahan of a point, by intake's own resolver),
GET /api/v1/wilayah.geojson (the outlines), the CSP's img-src with and without a tile server, the
vendored Leaflet files, and the /t/{id} location block (rounded coordinates, never the exact ones)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.area_import import match_features, read_features
from bot.boundaries import BoundaryIndex
from bot.config import ConfigError, tile_origin
from bot.routing import load_areas_csv
from store import repo
from tests.conftest import ROOT
from tests.web.conftest import report, web_config

GAMBIR, PETOJO_UTARA = "31.71.01.1001", "31.71.01.1003"
SYNTHETIC = ROOT / "tests" / "data" / "synthetic_kelurahan.geojson"


@pytest.fixture
def synthetic(gateway: Any) -> Any:
    """The gateway's resolver with the synthetic polygons (a shared border, a hole with an enclave)."""
    imported = match_features(read_features(SYNTHETIC), load_areas_csv(ROOT / "data" / "jakarta_areas.csv"))
    shipped = gateway.resolver.boundaries
    gateway.resolver.use_boundaries(BoundaryIndex(imported.polygons))
    yield gateway
    gateway.resolver.use_boundaries(shipped)


async def test_locate_inside_a_shipped_kelurahan_names_it_with_kecamatan_and_kota(client: Any) -> None:
    r = await client.get("/api/v1/lokasi", params={"lat": "-6.1754", "lon": "106.8272"})  # Monas
    assert r.status_code == 200
    assert r.json() == {"area": {"code": GAMBIR, "name": "Gambir", "kecamatan": "Gambir",
                                 "kota": "Kota Administrasi Jakarta Pusat"},
                        "method": "coordinates", "approximate": False}


async def test_locate_is_intakes_answer_for_the_same_point(client: Any, gateway: Any) -> None:
    point = (-6.2632, 106.8183)
    r = await client.get("/api/v1/lokasi", params={"lat": point[0], "lon": point[1]})
    tid = await report(gateway, "Jalan berlubang", latitude=point[0], longitude=point[1])
    ticket = await gateway.db.read(repo.ticket_by_tracking_id, tid)
    assert r.json()["area"]["code"] == ticket["area_code"] and r.json()["method"] == ticket["area_method"]


async def test_locate_on_a_border_in_a_hole_and_outside(client: Any, synthetic: Any) -> None:
    async def located(lat: float, lon: float) -> dict[str, Any]:
        r = await client.get("/api/v1/lokasi", params={"lat": lat, "lon": lon})
        assert r.status_code == 200, r.text
        return r.json()

    inside = await located(-6.199, 106.801)
    assert inside["area"]["code"] == GAMBIR and inside["method"] == "coordinates"
    assert (await located(-6.195, 106.81))["area"]["code"] == GAMBIR  # Gambir | Cideng border: lowest code
    assert (await located(-6.195, 106.805))["area"]["code"] == PETOJO_UTARA  # the hole's enclave, not Gambir
    near = await located(-6.23, 106.80)  # in no polygon, within 5 km of a centre
    assert near["method"] == "nearest_centre" and near["approximate"] is True and near["area"] is not None
    far = await located(1.29, 103.85)  # Singapore: no kelurahan, an officer would place it
    assert far == {"area": None, "method": "needs_placing", "approximate": True}


@pytest.mark.parametrize("params, where", [
    ({"lat": "abc", "lon": "106.8"}, "query.lat"),
    ({"lat": "-6.2", "lon": ""}, "query.lon"),
    ({"lat": "-6.2"}, "query.lon"),
    ({"lat": "NaN", "lon": "106.8"}, "query.lat"),
    ({"lat": "-6.2", "lon": "inf"}, "query.lon"),
    ({"lat": "-6.2", "lon": "-Infinity"}, "query.lon"),
    ({"lat": "91", "lon": "106.8"}, "query.lat"),
    ({"lat": "-6.2", "lon": "180.5"}, "query.lon"),
    ({"lat": "1e999", "lon": "106.8"}, "query.lat"),
    ({"lat": "9" * 5000, "lon": "106.8"}, "query.lat"),
    ({"lat": "-6.2\x00", "lon": "106.8"}, "query.lat"),
])
async def test_locate_refuses_bad_input_with_a_reason(client: Any, params: dict[str, str], where: str) -> None:
    r = await client.get("/api/v1/lokasi", params=params)
    assert r.status_code == 400, r.text
    assert r.json()["detail"].startswith(where + ":")


async def test_locate_is_rate_limited_per_client(tmp_path: Path, database_url: str, clock: Any) -> None:
    import httpx

    from bot.gateway import Gateway
    from bot.http.app import create_app

    config = web_config(tmp_path, database_url, web={"map": {"locate_per_minute_per_ip": 3}})
    gw = Gateway(config, clock=clock, database_url=database_url, adapters=[])
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(gw)), base_url="http://t") as c:
            got = [(await c.get("/api/v1/lokasi", params={"lat": -6.2, "lon": 106.8})).status_code for _ in range(4)]
            assert got == [200, 200, 200, 429]
            refused = await c.get("/api/v1/lokasi", params={"lat": -6.2, "lon": 106.8})
            assert int(refused.headers["retry-after"]) >= 1 and refused.json()["detail"]
            clock.advance(seconds=61)
            assert (await c.get("/api/v1/lokasi", params={"lat": -6.2, "lon": 106.8})).status_code == 200
    finally:
        await gw.stop()


async def test_outlines_are_every_shipped_kelurahan_simplified(client: Any) -> None:
    r = await client.get("/api/v1/wilayah.geojson")
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    body = r.json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 267
    gambir = next(f for f in body["features"] if f["properties"]["code"] == GAMBIR)
    assert gambir["properties"]["name"] == "Gambir" and gambir["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert len(r.content) < 400_000  # simplified: smaller than the shipped file


async def test_outlines_follow_the_resolvers_polygons(client: Any, synthetic: Any) -> None:
    body = (await client.get("/api/v1/wilayah.geojson")).json()
    assert sorted(f["properties"]["code"] for f in body["features"]) == sorted(
        code for code, _ in synthetic.resolver.boundaries.shapes())


# --- CSP and static files ---------------------------------------------------------------------------

def _img_src(response: Any) -> str:
    csp = response.headers["content-security-policy"]
    return next(d for d in csp.split("; ") if d.startswith("img-src"))


async def test_csp_without_tiles_allows_only_our_images(client: Any) -> None:
    r = await client.get("/lapor")  # tests run with web.map.tile_url empty
    assert _img_src(r) == "img-src 'self' data:"
    assert 'id="lapor-map"' in r.text and 'data-tiles=""' in r.text
    assert "script-src 'nonce-" in r.headers["content-security-policy"]
    assert "<script nonce=" in r.text and "<script>" not in r.text  # every script carries the nonce
    assert 'src="/static/vendor/leaflet/leaflet.js"' in r.text and 'href="/static/vendor/leaflet/leaflet.css"' in r.text


@pytest.mark.parametrize("tile_url, origin", [
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
    ("https://{s}.tiles.example.id:8443/peta/{z}/{x}/{y}{r}.png", "https://*.tiles.example.id:8443"),
])
async def test_csp_with_tiles_allows_exactly_the_tile_host(tmp_path: Path, database_url: str, clock: Any,
                                                          tile_url: str, origin: str) -> None:
    import httpx

    from bot.gateway import Gateway
    from bot.http.app import create_app

    config = web_config(tmp_path, database_url, web={"map": {"tile_url": tile_url}})
    gw = Gateway(config, clock=clock, database_url=database_url, adapters=[])
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(gw)), base_url="http://t") as c:
            for path in ("/lapor", "/"):
                r = await c.get(path)
                assert _img_src(r) == f"img-src 'self' data: {origin}"
            assert f'data-tiles="{tile_url}"' in (await c.get("/lapor")).text
    finally:
        await gw.stop()


async def test_map_off_leaves_the_form_without_map_or_tile_host(tmp_path: Path, database_url: str, clock: Any) -> None:
    import httpx

    from bot.gateway import Gateway
    from bot.http.app import create_app

    config = web_config(tmp_path, database_url, web={"map": {"enabled": False,
                                                             "tile_url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png"}})
    gw = Gateway(config, clock=clock, database_url=database_url, adapters=[])
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(gw)), base_url="http://t") as c:
            r = await c.get("/lapor")
            assert _img_src(r) == "img-src 'self' data:"
            assert "lapor-map" not in r.text and "leaflet" not in r.text
            assert 'id="kelurahan"' in r.text and 'id="map-area"' in r.text  # the select and the lookup line stay
    finally:
        await gw.stop()


@pytest.mark.parametrize("bad", ["ftp://tiles.example/{z}/{x}/{y}.png", "https://tiles.example/{z}/{x}.png",
                                 "https://tiles.example; script-src *;/{z}/{x}/{y}", "tiles.example/{z}/{x}/{y}",
                                 "https://{z}.example/{z}/{x}/{y}"])
def test_tile_url_that_the_csp_cannot_name_is_a_config_error(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        tile_origin(bad)
    with pytest.raises(ConfigError, match="web.map.tile_url"):
        web_config(tmp_path, "sqlite:///unused.db", web={"map": {"tile_url": bad}})


@pytest.mark.parametrize("path, content_type", [
    ("/static/vendor/leaflet/leaflet.js", "text/javascript"),
    ("/static/vendor/leaflet/leaflet.css", "text/css"),
    ("/static/vendor/leaflet/images/marker-icon.png", "image/png"),
    ("/static/vendor/leaflet/images/marker-icon-2x.png", "image/png"),
    ("/static/vendor/leaflet/images/marker-shadow.png", "image/png"),
    ("/static/aduan_map.js", "text/javascript"),
    ("/static/lapor_location.js", "text/javascript"),
    ("/static/lapor.js", "text/javascript"),
    ("/static/ticket_map.js", "text/javascript"),
])
async def test_map_files_are_served_by_the_app(client: Any, path: str, content_type: str) -> None:
    r = await client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == content_type
    assert r.content == (ROOT / "bot" / "web" / path.removeprefix("/")).read_bytes()


def test_vendored_leaflet_is_the_npm_release_with_its_licence() -> None:
    vendor = ROOT / "bot" / "web" / "static" / "vendor"
    assert 't.version="1.9.4"' in (vendor / "leaflet" / "leaflet.js").read_text(encoding="utf-8")
    assert (vendor / "leaflet" / "LICENSE").read_text(encoding="utf-8").startswith("BSD 2-Clause License")
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    assert "leaflet@1.9.4" in readme and "BSD" in readme
    assert "Leaflet 1.9.4" in (ROOT / "README.md").read_text(encoding="utf-8")


# --- /t/{id} ----------------------------------------------------------------------------------------

async def test_ticket_page_shows_the_rounded_location_and_a_map_never_the_exact_point(client: Any, gateway: Any) -> None:
    tid = await report(gateway, "Trotoar rusak dekat Monas", latitude=-6.175437, longitude=106.827151)
    r = await client.get(f"/t/{tid}")
    assert r.status_code == 200
    html = r.text
    assert 'id="ticket-location"' in html and "Sekitar -6.175, 106.827" in html and "Kel. Gambir" in html
    assert 'id="ticket-map"' in html and 'data-lat="-6.175" data-lon="106.827"' in html
    assert 'src="/static/ticket_map.js"' in html
    assert "6.175437" not in html and "106.827151" not in html and "6.1754" not in html
    open311 = (await client.get(f"/open311/v2/requests/{tid}.json")).json()[0]  # the same rounding
    assert (open311["lat"], open311["long"]) == (-6.175, 106.827)


async def test_ticket_page_without_coordinates_has_no_map(client: Any, gateway: Any) -> None:
    tid = await report(gateway)
    html = (await client.get(f"/t/{tid}")).text
    assert "ticket-map" not in html and "ticket-location" not in html and "leaflet" not in html
