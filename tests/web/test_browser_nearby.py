"""In a real browser (as tests/web/test_browser.py): the citizen sets their location on /lapor, sees an open
report of the same category nearby, chooses "Ini laporan yang sama", lands on that report and follows it."""
from __future__ import annotations

from typing import Any

from store import duplicates as dup_store
from store import repo
from tests.web.conftest import report
from tests.web.test_browser import LiveServer, _shot, browser_context, live, page  # noqa: F401 - fixtures

# Where the browser's geolocation is (test_browser.py's context): Kel. Bangka.
HERE = (-6.2632, 106.8183)


def test_citizen_sees_a_nearby_report_and_follows_it(live: LiveServer, page: Any) -> None:  # noqa: F811
    gw = live.gateway
    tid = live.run(report(gw, "Jalan berlubang besar, motor sering jatuh", external_id="browser-near-1",
                          sender="+6281233330001", latitude=HERE[0] + 0.0002, longitude=HERE[1], standalone=True))
    page.goto(f"{live.base_url}/lapor")
    assert page.locator("#nearby").is_hidden()
    page.get_by_label("Apa masalahnya?").fill("Ada lubang besar di jalan depan sekolah")
    page.get_by_role("button", name="Gunakan lokasi saya").click()
    item = page.locator(".nearby-item", has_text=tid)
    item.wait_for()
    assert "Jalan Rusak" in item.inner_text() and "Menunggu" in item.inner_text()
    assert "sekitar 20 m" in item.inner_text()
    assert "+6281233330001" not in page.content()
    page.get_by_label("Lewat email").check()
    page.get_by_label("Alamat email").fill("tetangga@example.com")
    _shot(page, "lapor-nearby")
    item.get_by_role("button", name="Ini laporan yang sama").click()
    page.wait_for_url(f"**/lapor/terkirim/{tid}?kabar=email&ikut=1")
    assert "Anda mengikuti laporan yang sama" in page.content()
    _shot(page, "lapor-follow-done")
    page.locator("#tracking-link").click()
    page.wait_for_url(f"**/t/{tid}")
    ticket = live.run(gw.db.read(repo.ticket_by_tracking_id, tid))
    followers = live.run(gw.db.read(dup_store.followers, ticket["id"]))
    assert [(f["channel"], f["address"]) for f in followers] == [("email", "tetangga@example.com")]
    # No second ticket: the citizen's text is a note on this one.
    notes = [e for e in live.run(gw.db.read(repo.events_for, ticket["id"])) if e["kind"] == "note"]
    assert notes and notes[-1]["reason"].startswith("Ada lubang besar")
    assert page.console_errors == []
