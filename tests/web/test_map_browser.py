"""The maps in a real browser (headless Debian chromium, as tests/web/test_browser.py): the citizen
clicks and drags the pin on /lapor, sees the kelurahan found for the point, and files a report routed
there; /t/{id} shows a circle on the rounded location.

The tile server here is a local socket that accepts connections and never answers (a tile server
that hangs): the pages must work anyway, and nothing is fetched from the network."""
from __future__ import annotations

import math
import socket
import threading
from typing import Any, Iterator

import pytest

from store import repo
from tests.web.conftest import BANGKA, report
from tests.web.test_browser import SHOTS, LiveServer, chromium, live_server, watched_page

# The map opens here (Kel. Gambir and Kel. Petojo Selatan side by side at zoom 15).
CENTRE = (-6.1700, 106.8200)
ZOOM = 15
BANGKA_POINT = (-6.2632, 106.8183)  # where the browser says the citizen is
TILE = 256


class SilentTileServer:
    """Accepts connections on 127.0.0.1 and never answers: a tile server that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def pixel_offset_to_point(dx: float, dy: float) -> tuple[float, float]:
    """The (lat, lon) ``dx``, ``dy`` pixels from the map's centre at ``ZOOM`` (Web Mercator, as Leaflet)."""
    size = TILE * 2**ZOOM
    lat, lon = map(math.radians, CENTRE)
    x = (math.degrees(lon) + 180) / 360 * size + dx
    y = (1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * size + dy
    return math.degrees(math.atan(math.sinh(math.pi - 2 * math.pi * y / size))), x / size * 360 - 180


@pytest.fixture(scope="module")
def tiles() -> Iterator[SilentTileServer]:
    server = SilentTileServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def live(migrated_template: str, tmp_path_factory: pytest.TempPathFactory, tiles: SilentTileServer) -> Iterator[LiveServer]:
    with live_server(migrated_template, tmp_path_factory.mktemp("map-browser"), web={"map": {
            "tile_url": f"http://127.0.0.1:{tiles.port}/{{z}}/{{x}}/{{y}}.png", "centre_latitude": CENTRE[0],
            "centre_longitude": CENTRE[1], "zoom": ZOOM}}) as server:
        yield server


@pytest.fixture(scope="module")
def browser_context(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium-profile"), permissions=["geolocation"],
                  geolocation={"latitude": BANGKA_POINT[0], "longitude": BANGKA_POINT[1]}) as context:
        yield context


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    with watched_page(browser_context) as page:
        yield page


def _area_name(live: LiveServer, lat: float, lon: float) -> tuple[str, str]:
    resolver = live.gateway.resolver
    code = resolver.boundaries.locate(lat, lon)
    assert code is not None
    return code, resolver.get(code).name


def _map_centre(page: Any) -> tuple[float, float]:
    page.locator("#lapor-map").scroll_into_view_if_needed()
    box = page.locator("#lapor-map").bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_citizen_clicks_and_drags_the_pin_and_the_report_goes_to_that_kelurahan(live: LiveServer, page: Any,
                                                                               tiles: SilentTileServer) -> None:
    page.add_init_script("window.heard = []; document.addEventListener('aduan:location', e => window.heard.push(e.detail))")
    # "load" never comes while tiles hang: the page is usable from DOMContentLoaded on.
    response = page.goto(f"{live.base_url}/lapor", wait_until="domcontentloaded")
    assert f"img-src 'self' data: http://127.0.0.1:{tiles.port};" in response.headers["content-security-policy"]
    page.locator("#lapor-map").wait_for(state="visible")
    page.wait_for_selector("#lapor-map path.kel-outline", state="attached")  # the outlines came from /api/v1/wilayah.geojson
    cx, cy = _map_centre(page)

    # A click 80 px east of the centre puts the pin in Kel. Gambir.
    first = pixel_offset_to_point(80, 0)
    first_code, first_name = _area_name(live, *first)
    assert first_name == "Gambir"
    page.mouse.click(cx + 80, cy)
    found = page.locator("#map-area")
    page.wait_for_function("() => document.getElementById('map-area').textContent.indexOf('Gambir,') > 0")
    assert found.inner_text() == "Kelurahan: Gambir, Kec. Gambir, Kota Administrasi Jakarta Pusat"
    assert float(page.input_value("#lat")) == pytest.approx(first[0], abs=2e-5)
    assert float(page.input_value("#lon")) == pytest.approx(first[1], abs=2e-5)
    assert page.input_value("#kelurahan") == first_code
    page.wait_for_function("() => document.querySelector('path.kel-outline[stroke-width=\"3\"]') !== null")

    # Dragging the pin 160 px west moves it into the neighbouring kelurahan.
    second = pixel_offset_to_point(-80, 0)
    second_code, second_name = _area_name(live, *second)
    assert second_code != first_code
    pin = page.locator(".leaflet-marker-icon").bounding_box()
    grab_x, grab_y = pin["x"] + pin["width"] / 2, pin["y"] + pin["height"] / 2
    page.mouse.move(grab_x, grab_y)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(grab_x - 20 * step, grab_y)
    page.mouse.up()
    page.wait_for_function(f"() => document.getElementById('map-area').textContent.indexOf({second_name!r}) > 0")
    assert float(page.input_value("#lat")) == pytest.approx(second[0], abs=2e-5)
    assert float(page.input_value("#lon")) == pytest.approx(second[1], abs=2e-5)
    assert page.input_value("#kelurahan") == second_code
    heard = page.evaluate("window.heard")  # the events other parts of the page (nearby reports) listen to
    assert [h["area_code"] for h in heard] == [first_code, second_code]
    assert heard[-1]["lat"] == pytest.approx(second[0], abs=2e-5) and heard[-1]["lon"] == pytest.approx(second[1], abs=2e-5)
    assert page.locator("#map-area").get_attribute("aria-live") == "polite"
    page.screenshot(path=str(SHOTS / "lapor-map.png"), full_page=True)
    # Tiles are asked for with the page's origin as Referer (tile servers' policies), never its path.
    assert page.evaluate("() => document.querySelector('#lapor-map img.leaflet-tile').referrerPolicy") == "strict-origin"

    page.get_by_label("Apa masalahnya?").fill("Lampu jalan mati sejak tiga hari")
    page.keyboard.press("Tab")  # the description changed (the category comes from it): the event again
    assert [h["area_code"] for h in page.evaluate("window.heard")] == [first_code, second_code, second_code]
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_url("**/lapor/terkirim/**")
    tid = page.locator("#tracking-id").inner_text()
    ticket = live.run(live.gateway.db.read(repo.ticket_by_tracking_id, tid))
    assert ticket["area_code"] == second_code and ticket["area_method"] == "coordinates"
    assert ticket["latitude"] == pytest.approx(second[0], abs=2e-5)
    assert tiles.accepted, "the map asked the configured tile server (which never answered)"
    assert page.console_errors == []


def test_ticket_page_map_is_a_circle_on_the_rounded_point(live: LiveServer, page: Any) -> None:
    exact = (-6.170437, 106.823951)
    tid = live.run(report(live.gateway, "Trotoar rusak di depan stasiun", external_id="map-t1",
                          sender="+6281200000031", latitude=exact[0], longitude=exact[1]))
    page.goto(f"{live.base_url}/t/{tid}", wait_until="domcontentloaded")
    assert "-6.170, 106.824" in page.locator("#ticket-location").inner_text()
    page.wait_for_selector("#ticket-map path.ticket-circle")
    page.wait_for_selector("#ticket-map path.kel-outline", state="attached")
    assert page.locator("#ticket-map .leaflet-marker-icon").count() == 0  # a circle, never a pin
    html = page.content()
    assert "6.170437" not in html and "106.823951" not in html
    page.screenshot(path=str(SHOTS / "ticket-map.png"), full_page=True)
    assert page.console_errors == []


def test_use_my_location_moves_the_pin_and_names_the_kelurahan(live: LiveServer, page: Any) -> None:
    page.goto(f"{live.base_url}/lapor", wait_until="domcontentloaded")
    page.locator("#lapor-map").wait_for(state="visible")
    assert page.locator("#lapor-map .leaflet-marker-icon").count() == 0
    page.get_by_role("button", name="Gunakan lokasi saya").click()
    page.wait_for_function("() => document.getElementById('map-area').textContent.indexOf('Bangka,') > 0")
    assert page.locator("#lapor-map .leaflet-marker-icon").count() == 1
    assert (page.input_value("#lat"), page.input_value("#lon")) == ("-6.263200", "106.818300")
    assert page.input_value("#kelurahan") == BANGKA
    assert page.console_errors == []


def test_citizen_drops_the_pin_sees_the_kelurahan_then_a_nearby_report_and_follows_it(live: LiveServer,
                                                                                      page: Any) -> None:
    """Issue 15's flow in one go: pin on the map -> kelurahan shown -> a nearby open report of the same
    category listed (nearby.js, GET /api/v1/sekitar) -> "Ini laporan yang sama" -> following that report."""
    from store import duplicates as dup_store

    spot = pixel_offset_to_point(80, 40)
    code, name = _area_name(live, *spot)
    tid = live.run(report(live.gateway, "Jalan berlubang besar, motor sering jatuh", external_id="map-dup-1",
                          sender="+6281200000041", latitude=spot[0] + 0.0002, longitude=spot[1], standalone=True))
    page.goto(f"{live.base_url}/lapor", wait_until="domcontentloaded")
    page.locator("#lapor-map").wait_for(state="visible")
    page.get_by_label("Apa masalahnya?").fill("Ada lubang besar di jalan depan sekolah")
    cx, cy = _map_centre(page)
    page.mouse.click(cx + 80, cy + 40)
    page.wait_for_function(f"() => document.getElementById('map-area').textContent.indexOf({name + ','!r}) > 0")
    assert page.input_value("#kelurahan") == code
    item = page.locator(".nearby-item", has_text=tid)
    item.wait_for()
    assert "Jalan Rusak" in item.inner_text() and "sekitar 20 m" in item.inner_text()
    assert "+6281200000041" not in page.content()  # never the other citizen's identity
    page.get_by_label("Lewat email").check()
    page.get_by_label("Alamat email").fill("tetangga.peta@example.com")
    item.get_by_role("button", name="Ini laporan yang sama").click()
    page.wait_for_url(f"**/lapor/terkirim/{tid}?kabar=email&ikut=1")
    ticket = live.run(live.gateway.db.read(repo.ticket_by_tracking_id, tid))
    followers = live.run(live.gateway.db.read(dup_store.followers, ticket["id"]))
    assert ("email", "tetangga.peta@example.com") in [(f["channel"], f["address"]) for f in followers]
    assert page.console_errors == []
