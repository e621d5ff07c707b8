"""The public pages in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright, against the gateway served by uvicorn on 127.0.0.1. Screenshots of every page
go to var/screenshots/ for a person to look at.

Chromium is installed once with apt-get when missing (as root); where that is impossible
the tests skip and say why. Playwright never downloads a browser here."""
from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from adapters.partner import PartnerAdapter
from bot.clock import FakeClock
from bot.gateway import Gateway
from bot.http.app import create_app
from store import repo
from tests.conftest import ROOT
from tests.web.conftest import (BANGKA, GatewayLifespan, contact_adapters, finish, fresh_database_url, jpeg, report,
                                serve, web_config)

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "var" / "screenshots"
MOBILE = {"width": 390, "height": 844}


def _ensure_chromium() -> str:
    """The path of Debian's chromium, installing it once with apt-get if it is missing."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() != 0:
        pytest.skip("browser tests need Debian's chromium: run `apt-get install -y chromium` as root")
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, timeout=600, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, timeout=900, capture_output=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"browser tests skipped: chromium is missing and apt-get could not install it ({exc})")
    found = shutil.which("chromium")
    if not found:
        pytest.skip("browser tests skipped: apt-get ran but no chromium binary was found")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, base_url: str, gateway: Gateway, lifespan: GatewayLifespan) -> None:
        self.base_url, self.gateway, self.lifespan = base_url, gateway, lifespan

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the server's event loop (where the gateway lives)."""
        return asyncio.run_coroutine_threadsafe(coro, self.lifespan.loop).result(timeout=30)


@contextlib.contextmanager
def live_server(migrated_template: str, tmp: Path, **config: Any) -> Iterator[LiveServer]:
    """The gateway served by uvicorn on 127.0.0.1, on a fresh database; ``config`` overrides web_config's."""
    pytest.importorskip("playwright", reason="pip install playwright (never `playwright install`)")
    url = fresh_database_url(migrated_template, tmp)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    config = web_config(tmp, url, instance={"public_base_url": base}, **config)
    gateway = Gateway(config, clock=FakeClock(), database_url=url,
                      adapters=[(PartnerAdapter(config.channels.partner, allow_private_hosts=True), []),
                                *contact_adapters()])
    lifespan = GatewayLifespan(create_app(gateway), gateway)
    with serve(lifespan, port):
        yield LiveServer(base, gateway, lifespan)


@contextlib.contextmanager
def chromium(profile: Path, **options: Any) -> Iterator[Any]:
    """A headless Chromium context (mobile viewport, Indonesian locale) with Playwright ``options`` on top."""
    executable = _ensure_chromium()
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=FLAGS,
            **{"viewport": MOBILE, "locale": "id-ID", **options})
        try:
            yield context
        finally:
            context.close()


@contextlib.contextmanager
def watched_page(context: Any) -> Iterator[Any]:
    """A new page that collects console errors and uncaught exceptions in ``page.console_errors``."""
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    try:
        yield page
    finally:
        page.close()


@pytest.fixture(scope="module")
def live(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(migrated_template, tmp_path_factory.mktemp("browser")) as server:
        yield server


@pytest.fixture(scope="module")
def browser_context(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium-profile"), permissions=["geolocation"],
                  geolocation={"latitude": -6.2632, "longitude": 106.8183}) as context:  # inside Kel. Bangka
        yield context


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    with watched_page(browser_context) as page:
        yield page


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_tracking_page(live: LiveServer, page: Any) -> None:
    gw = live.gateway
    tid = live.run(report(gw, "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka, hubungi 081299998888",
                          external_id="br-1", sender="+6281200000011"))
    live.run(finish(gw, tid, proof=jpeg((480, 320), (40, 140, 90))))
    open_tid = live.run(report(gw, "Pohon tumbang menutup jalan di Kel. Bangka", external_id="br-2",
                               sender="+6281200000012"))
    page.goto(f"{live.base_url}/t/{tid}")
    assert page.locator("h1").inner_text() == tid
    assert page.locator("html").get_attribute("lang") == "id"
    status = page.locator(".ticket-head .status")
    assert "Selesai" in status.inner_text() and "status-green" in status.get_attribute("class")
    assert "Dinas Lingkungan Hidup" in page.locator("#agency").inner_text()
    img = page.locator(".proof img")
    img.wait_for()
    # The element exists before its bytes arrive: wait for the image itself, not a fixed time.
    page.wait_for_function("() => { const i = document.querySelector('.proof img'); "
                           "return i !== null && i.complete && i.naturalWidth > 0; }")
    assert page.evaluate("document.querySelector('.proof img').naturalWidth") == 480
    assert "081299998888" not in page.content() and "+6281200000011" not in page.content()
    assert page.locator(".timeline li").count() == 4
    _shot(page, "tracking-selesai-id")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(f"**/t/{tid}?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Done" in page.locator(".ticket-head .status").inner_text()
    _shot(page, "tracking-selesai-en")
    page.goto(f"{live.base_url}/t/{open_tid}?lang=id")
    assert "status-red" in page.locator(".ticket-head .status").get_attribute("class")
    _shot(page, "tracking-menunggu-id")
    assert page.console_errors == []
    page.goto(f"{live.base_url}/t/JKT-7K3M-QX0O")
    assert page.locator("h1").inner_text() == "Laporan tidak ditemukan"
    _shot(page, "tracking-not-found")
    # the page itself answers 404, which the console reports; nothing else may fail
    assert [e for e in page.console_errors if "404" not in e] == []


def test_dashboard(live: LiveServer, page: Any) -> None:
    gw = live.gateway
    for i, text in enumerate(["Sampah menumpuk di Kel. Bangka", "Jalan berlubang di Kel. Bangka",
                              "Parkir liar di trotoar Kel. Bangka", "Lampu jalan mati di Kel. Bangka"]):
        live.run(report(gw, text, external_id=f"dash-{i}", sender=f"+62812000001{i:02d}"))
    gw.clock.advance(days=8)  # some are now overdue
    page.goto(f"{live.base_url}/dashboard/bangka")
    assert page.locator("h1").inner_text() == "Dasbor Bangka"
    assert int(page.locator("#total-count").inner_text()) >= 4
    assert int(page.locator("#overdue-count").inner_text()) >= 4
    assert page.locator("svg[role=img]").count() == 2
    assert page.locator("#overdue-table tbody tr").count() >= 4
    assert page.locator("#category-table tbody tr").count() >= 4
    _shot(page, "dashboard-bangka-mobile")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live.base_url}/dashboard")
    assert page.locator("h1").inner_text() == "Dasbor DKI Jakarta"
    _shot(page, "dashboard-city-desktop")
    page.select_option("#area-pick", BANGKA)
    page.get_by_role("button", name="Tampilkan").click()
    page.wait_for_url("**/dashboard/bangka")
    page.set_viewport_size(MOBILE)
    assert page.console_errors == []


def test_report_form_with_photo(live: LiveServer, page: Any, tmp_path: Path) -> None:
    photo = tmp_path / "sampah.jpg"
    photo.write_bytes(jpeg((640, 480), (120, 90, 40)))
    page.goto(f"{live.base_url}/lapor")
    assert page.locator("html").get_attribute("lang") == "id"
    page.get_by_label("Apa masalahnya?").fill("Sampah menumpuk di depan pasar, bau sekali")
    page.set_input_files("#photo", str(photo))
    page.get_by_role("button", name="Gunakan lokasi saya").click()
    page.wait_for_function("document.getElementById('lat').value !== ''")
    assert page.input_value("#lat") == "-6.263200"
    page.select_option("#kelurahan", BANGKA)
    page.get_by_label("Lewat email").check()
    page.get_by_label("Alamat email").fill("warga@example.com")
    _shot(page, "lapor-form")
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_url("**/lapor/terkirim/**")
    tid = page.locator("#tracking-id").inner_text()
    assert tid.startswith("JKT-")
    assert "warga@example.com" not in page.content()
    _shot(page, "lapor-terkirim")
    ticket = live.run(live.gateway.db.read(repo.ticket_by_tracking_id, tid))
    assert ticket["channel"] == "email" and ticket["area_code"] == BANGKA
    assert ticket["latitude"] == pytest.approx(-6.2632)
    atts = live.run(live.gateway.db.read(lambda c: c.execute(
        repo.T_ATTACHMENT.select().where(repo.T_ATTACHMENT.c.ticket_id == ticket["id"])).mappings().all()))
    assert len(atts) == 1 and atts[0]["content_type"] == "image/jpeg"
    page.locator("#tracking-link").click()
    page.wait_for_url(f"**/t/{tid}")
    assert "Menunggu" in page.locator(".ticket-head .status").inner_text()
    assert page.console_errors == []
    # the form refuses a submit without text (400), in the language chosen
    page.goto(f"{live.base_url}/lapor?lang=en")
    page.get_by_role("button", name="Send report").click()
    page.wait_for_selector(".error-summary")
    assert "Please describe the problem." in page.locator(".error-summary").inner_text()
    _shot(page, "lapor-error-en")
    assert [e for e in page.console_errors if "400" not in e] == []
