"""The officers' console in Debian's Chromium (Playwright) at 390 px and 1280 px: an officer signs in, takes a
ticket, disposes it to a sub-unit, the sub-unit uploads a proof photo from a file chooser, a validator validates
it, and the citizen's Telegram chat (the fake Bot API of tests/harness/provider_fakes.py, reached through the real
adapter and SDK) receives the status updates and the proof photo. axe-core (vendored in tests/web/vendor/axe-core)
finds no violation on any console page; screenshots go to var/screenshots/. Skips like test_browser.py."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.clock import FakeClock
from bot.gateway import Gateway
from bot.http.app import create_app
from store import repo
from tests.harness.provider_fakes import ProviderFakes, channels_config
from tests.web.conftest import STAFF_PASSWORD, GatewayLifespan, fresh_database_url, report, serve, web_config
from tests.web.test_browser import FLAGS, MOBILE, SHOTS, LiveServer, _ensure_chromium, _free_port
from tests.web.test_console import OFFICERS, _HASH

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
CITIZEN_CHAT = "5550001"


@pytest.fixture(scope="module")
def fakes() -> Iterator[ProviderFakes]:
    import asyncio

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="provider-fakes", daemon=True)
    thread.start()
    fake = ProviderFakes()
    fake.base = asyncio.run_coroutine_threadsafe(fake.start(), loop).result(timeout=30)  # type: ignore[attr-defined]
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def live(migrated_template: str, tmp_path_factory: pytest.TempPathFactory, fakes: ProviderFakes) -> Iterator[LiveServer]:
    pytest.importorskip("playwright", reason="pip install playwright (never `playwright install`)")

    tmp = tmp_path_factory.mktemp("console-browser")
    url = fresh_database_url(migrated_template, tmp)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    telegram = channels_config(fakes.base, 0)["telegram"]  # type: ignore[attr-defined]
    config = web_config(tmp, url, instance={"public_base_url": base}, channels={"telegram": telegram},
                        staff=[dict(o, password_hash=_HASH) for o in OFFICERS])
    gateway = Gateway(config, clock=FakeClock(), database_url=url)
    # The dispatcher runs: updates really go out to the fake Bot API.
    lifespan = GatewayLifespan(create_app(gateway), gateway, dispatcher=True)
    with serve(lifespan, port):
        yield LiveServer(base, gateway, lifespan)


@pytest.fixture(scope="module")
def browser(live: LiveServer) -> Iterator[Any]:
    executable = _ensure_chromium()
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=FLAGS)
        try:
            yield b
        finally:
            b.close()


def new_page(browser: Any, viewport: dict[str, int], **options: Any) -> Any:
    context = browser.new_context(viewport=viewport, locale="id-ID", **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    return page


SECRETS: dict[str, str] = {}  # officer code -> TOTP key, as their authenticator app holds it


def sign_in(page: Any, live: LiveServer, login: str) -> None:
    """Password, then TOTP: enrolled on first sign-in (required for validators and admins, chosen by the officer
    in the flow), a code from the authenticator (pyotp at the server's clock) after that."""
    import pyotp

    clock = live.gateway.clock
    clock.advance(seconds=31)  # each code works once: the next sign-in uses the next 30-second step
    page.context.clear_cookies()
    page.goto(f"{live.base_url}/masuk?next=/petugas")
    page.fill("#login", login)
    page.fill("#password", STAFF_PASSWORD)
    page.locator("form[action='/masuk'] button[type=submit]").click()
    page.wait_for_load_state()
    if page.locator("form[action='/masuk/2fa-baru']").count():
        SECRETS[login] = page.locator("code.secret").inner_text().strip()
        assert axe_violations(page) == [], "TOTP enrolment page"
    if login in SECRETS and page.locator("#code").count():
        page.fill("#code", pyotp.TOTP(SECRETS[login]).at(clock.now()))
        page.locator("#code").press("Enter")
        page.wait_for_load_state()
    if "/petugas" not in page.url:  # after enrolment: the recovery codes, shown once
        page.goto(f"{live.base_url}/petugas")
    assert page.url.endswith("/petugas"), page.url


def enrol_totp(live: LiveServer, code: str) -> None:
    """An officer who turned TOTP on for themselves earlier (optional for their role)."""
    import pyotp

    from store import staff_directory

    secret = pyotp.random_base32()

    async def enrol() -> None:
        row = await live.gateway.db.read(staff_directory.staff_row, code)
        await live.gateway.db.write(staff_directory.set_totp, row["id"], secret, None)

    live.run(enrol())
    SECRETS[code] = secret


def axe_violations(page: Any) -> list[Any]:
    """axe-core's violations on the current page (evaluated through the DevTools protocol, so the page's CSP
    stays as served)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("() => axe.run(document).then(r => r.violations.map(v => ({id: v.id, nodes: "
                           "v.nodes.map(n => n.target.join(' '))})))")
    return list(result)


def fits(page: Any) -> bool:
    """No sideways scrolling."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def check_page(page: Any, shot: str) -> None:
    assert axe_violations(page) == [], shot
    assert fits(page), f"{shot}: wider than the screen"
    page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)


CANNED = "Laporan Anda segera kami tangani."


def add_canned(live: LiveServer, category: str) -> None:
    from store import staff as staff_store

    def add(conn: Any) -> None:
        if not any(c["title"] == "Segera ditangani" for c in staff_store.list_canned(conn, category, "id")):
            staff_store.add_canned(conn, {"category_code": category, "language": "id", "title": "Segera ditangani",
                                          "body": CANNED}, "test", live.gateway.clock.now())

    live.run(live.gateway.db.write(add))


def distinct_photo(seed: int) -> bytes:
    """A large camera-sized JPEG whose perceptual hash differs per seed (flat colours would all look alike
    to the reused-photo check)."""
    import io
    import random

    from PIL import Image, ImageDraw

    rnd = random.Random(seed)
    img = Image.new("RGB", (2400, 1800), (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x, y = rnd.randrange(2000), rnd.randrange(1400)
        draw.rectangle((x, y, x + rnd.randrange(100, 800), y + rnd.randrange(100, 600)),
                       fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def status_of(live: LiveServer, tid: str) -> str:
    return live.run(live.gateway.db.read(repo.ticket_by_tracking_id, tid))["status"]


@pytest.mark.parametrize("viewport", [MOBILE, DESKTOP], ids=["390px", "1280px"])
def test_ticket_lifecycle_in_the_console(live: LiveServer, browser: Any, fakes: ProviderFakes,
                                         viewport: dict[str, int], tmp_path: Path) -> None:
    gw, base, width = live.gateway, live.base_url, viewport["width"]
    chat = f"{CITIZEN_CHAT}{width}"
    tid = live.run(report(gw, "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka Kec. Mampang Prapatan",
                          channel="telegram", sender=chat, external_id=f"tg-{width}"))
    add_canned(live, live.run(gw.db.read(repo.ticket_by_tracking_id, tid))["category_code"])
    page = new_page(browser, viewport)
    if "dlh-1" not in SECRETS:
        enrol_totp(live, "dlh-1")
    sign_in(page, live, "dlh-1")
    row = page.locator(f"a.con-id[href='/petugas/t/{tid}']")
    assert row.count() == 1
    check_page(page, f"console-inbox-{width}")
    row.click()
    page.wait_for_url(f"**/petugas/t/{tid}")
    check_page(page, f"console-ticket-{width}")
    page.locator("#do-ambil").click()
    page.wait_for_selector("#flash")
    assert "Petugas DLH" in page.locator("#assignee").inner_text()
    page.select_option("#canned-pick", label="Segera ditangani")  # a canned reply, then edited and sent
    assert page.locator("#text-balas").input_value() == CANNED
    page.fill("#text-balas", CANNED + " Terima kasih.")
    page.locator("#do-balas").click()
    page.wait_for_selector("#flash")
    page.select_option("#disp-target", "SUDIN_LH_JAKSEL")
    page.locator("#do-disposisi").click()
    page.wait_for_selector("#flash")
    assert status_of(live, tid) == "DISPOSISI"

    sign_in(page, live, "sudin-1")
    page.goto(f"{base}/petugas/t/{tid}")
    page.locator("#do-proses").click()
    page.wait_for_selector("#flash")
    photo = tmp_path / "bukti.jpg"
    photo.write_bytes(distinct_photo(width))
    with page.expect_file_chooser() as chooser:
        page.locator("#proof-photo").click()
    chooser.value.set_files(str(photo))
    page.fill("#proof-note", "Sudah dibersihkan")
    page.locator("#do-selesai").click()
    page.wait_for_selector("#flash")
    assert status_of(live, tid) == "MENUNGGU_VALIDASI"
    check_page(page, f"console-ticket-proof-{width}")

    sign_in(page, live, "val-1")
    page.goto(f"{base}/petugas/t/{tid}")
    page.locator("#do-validasi").click()
    page.wait_for_selector("#flash")
    assert status_of(live, tid) == "SELESAI"
    assert page.locator(".con-photos img").count() >= 1
    # The citizen's chat got the updates and, at the end, the proof photo (the dispatcher sends as it runs).
    deadline = time.monotonic() + 20
    while ("sendPhoto", chat) not in fakes.telegram_calls and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ("sendPhoto", chat) in fakes.telegram_calls
    assert sum(1 for m, c in fakes.telegram_calls if c == chat and m == "sendMessage") >= 4  # ack, reply, updates
    assert any(r == ("telegram", chat, r[2]) and "Terima kasih." in r[2] for r in fakes.received)  # the edited reply
    assert page.console_errors == []
    page.context.close()


def test_intake_page_and_fresh_inbox(live: LiveServer, browser: Any) -> None:
    gw, base = live.gateway, live.base_url
    page = new_page(browser, MOBILE)
    sign_in(page, live, "lurah-bangka")
    page.goto(f"{base}/petugas/baru")
    check_page(page, "console-intake-390")
    page.check("#origin-kantor_kelurahan")
    page.check("#update-none")
    page.fill("#report-text", "Pohon tumbang menutup Jl. Kemang Raya Kel. Bangka")
    page.get_by_role("button", name="Catat laporan").click()
    page.wait_for_selector("#flash")
    assert "Kantor Kelurahan" in page.locator("#source").inner_text()
    # The inbox picks up a new ticket without a reload.
    page.goto(f"{base}/petugas")
    fresh = live.run(report(gw, "Lampu jalan mati di Jl. Kemang Raya Kel. Bangka", external_id="fresh-1",
                            sender="+6281200000101", channel="telegram"))
    page.wait_for_selector(f"a.con-id[href='/petugas/t/{fresh}']", timeout=20000)
    assert "baru atau berubah" in page.locator("#fresh-note").inner_text()
    assert page.console_errors == []
    page.context.close()
    # Without JavaScript: plain pages with a refresh link and a meta refresh.
    plain = new_page(browser, DESKTOP, java_script_enabled=False)
    sign_in(plain, live, "lurah-bangka")
    assert plain.locator(f"a.con-id[href='/petugas/t/{fresh}']").count() == 1
    assert plain.locator("#refresh-link").count() == 1
    assert 'http-equiv="refresh"' in plain.content()
    plain.screenshot(path=str(SHOTS / "console-inbox-nojs-1280.png"), full_page=True)  # axe needs JavaScript
    plain.context.close()
