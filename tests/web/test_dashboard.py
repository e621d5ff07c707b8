"""Kelurahan mini dashboards and the city overview: aggregates only for the public,
ticket details for signed-in staff within their area or agency; CSV export."""
from __future__ import annotations

import csv
import io

from sqlalchemy import select

from store import repo
from tests.web.conftest import BANGKA, STAFF_PASSWORD, finish, hidden, report

SECRET_TEXT = "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka, rumah Pak Joko no 7, hubungi 081234567890"


async def _seed(gateway, clock) -> dict[str, str]:
    ids = {}
    ids["late"] = await report(gateway, SECRET_TEXT, external_id="a", sender="+6281200000001")
    ids["done"] = await report(gateway, "Pohon tumbang di Kel. Bangka Kec. Mampang Prapatan", external_id="b",
                               sender="+6281200000002")
    ids["gambir"] = await report(gateway, "Lampu jalan mati di Kel. Gambir Kec. Gambir", external_id="c",
                                 sender="+6281200000003")
    await finish(gateway, ids["done"])
    clock.advance(days=10)  # the garbage report is now 3 days past its 7-day deadline
    return ids


async def test_city_overview_counts_chart_overdue_and_no_personal_data(client, gateway, clock):
    ids = await _seed(gateway, clock)
    r = await client.get("/dashboard")
    assert r.status_code == 200
    html = r.text
    assert 'id="total-count">3<' in html
    assert 'id="overdue-count">2<' in html  # garbage and street light, both open past 7 days
    assert ids["late"] in html and ids["gambir"] in html  # the overdue list: ID, category, age
    assert ids["done"] not in html
    assert "<svg" in html and 'role="img"' in html and "<title id=\"sla-t\">" in html
    assert "Sampah" in html and "Pohon" in html
    assert "Dinas Lingkungan Hidup" in html  # the agencies' figures
    # aggregates only: no description, no reporter
    assert "Joko" not in html and "081234567890" not in html and "Kemang Raya" not in html
    assert "+6281200000001" not in html
    assert "http://" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace("http://www.w3.org/2000/svg", "")


async def test_kelurahan_dashboard_by_slug_and_code(client, gateway, clock):
    ids = await _seed(gateway, clock)
    by_slug = await client.get("/dashboard/bangka")
    by_code = await client.get(f"/dashboard/{BANGKA}")
    assert by_slug.status_code == by_code.status_code == 200
    for r in (by_slug, by_code):
        assert "Dasbor Bangka" in r.text
        assert 'id="total-count">2<' in r.text and 'id="overdue-count">1<' in r.text
        assert ids["gambir"] not in r.text and ids["late"] in r.text
        assert "Mampang Prapatan" in r.text  # breadcrumb
    kec = await client.get("/dashboard/31.74.03")  # a kecamatan (by code) aggregates its kelurahan
    assert kec.status_code == 200 and 'id="total-count">2<' in kec.text
    en = await client.get("/dashboard/bangka?lang=en")
    assert "Bangka dashboard" in en.text and "Overdue reports" in en.text and "Garbage" in en.text


async def test_picker_redirect_and_unknown_area(client, gateway):
    r = await client.get("/dashboard", params={"area": BANGKA})
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/bangka"
    for bad in ("/dashboard/atlantis", "/dashboard/%00", "/dashboard?area=%00", "/dashboard/<script>", "/dashboard/' OR 1=1 --", "/dashboard/atlantis.csv"):
        r = await client.get(bad)
        assert r.status_code == 404, bad
        assert "<script>" not in r.text
    r = await client.get("/dashboard", params={"area": "nowhere"})
    assert r.status_code == 404


async def test_csv_export_is_aggregates(client, gateway, clock):
    await _seed(gateway, clock)
    r = await client.get("/dashboard/bangka.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    by_code = {row["category_code"]: row for row in rows}
    assert by_code["sampah"]["total"] == "1" and by_code["sampah"]["overdue"] == "1"
    assert by_code["pohon"]["selesai"] == "1" and by_code["pohon"]["done_on_time"] == "1"
    assert by_code["TOTAL"]["total"] == "2"
    assert "Joko" not in r.text and "0812" not in r.text
    city = await client.get("/dashboard.csv")
    assert list(csv.DictReader(io.StringIO(city.text)))[-1]["total"] == "3"


async def test_weekly_sla_numbers(client, gateway, clock):
    tid = await report(gateway)
    await finish(gateway, tid)  # done at once: on time
    late = await report(gateway, external_id="x2", sender="+6281200000009")
    clock.advance(days=8)
    await finish(gateway, late)  # done one day after its deadline
    from bot.web import queries
    from bot.web.state import WebState

    web: WebState = client._transport.app.app.state.web  # the FastAPI app inside the body-limit middleware
    d = await gateway.db.read(queries.dashboard, None, gateway.clock.now(), web.tz)
    due_weeks = [w for w in d.weeks if w["due"]]
    assert sum(w["due"] for w in due_weeks) == 2 and sum(w["on_time"] for w in due_weeks) == 1


async def _login(client, login: str, password: str = STAFF_PASSWORD, next: str = ""):
    form = await client.get("/masuk")
    return await client.post("/masuk", data={"csrf": hidden(form.text, "csrf", "/masuk"), "login": login, "password": password,
                                             "next": next})


async def test_staff_sign_in_sees_details_in_own_area_only(client, gateway, clock):
    ids = await _seed(gateway, clock)
    r = await _login(client, "lurah.bangka@example.go.id")
    assert r.status_code == 303 and r.headers["location"] == f"/dashboard/{BANGKA}"
    assert "aduan_staff" in r.cookies
    page = await client.get("/dashboard/bangka")
    assert "Lurah Bangka" in page.text and 'id="staff-table"' in page.text
    assert "Pak Joko" in page.text  # staff see the description...
    assert "081234567890" not in page.text and "+6281200000001" not in page.text  # ...never the reporter
    city = await client.get("/dashboard")
    assert ids["gambir"] not in city.text.split('id="staff-table"')[1]  # only their own area in the list
    # sign out
    out = await client.post("/keluar", data={"csrf": hidden(page.text, "csrf", "/keluar")})
    assert out.status_code == 303
    assert 'id="staff-table"' not in (await client.get("/dashboard/bangka")).text


async def test_agency_officer_sees_their_agency(client, gateway, clock):
    ids = await _seed(gateway, clock)
    assert (await _login(client, "dlh-1")).status_code == 303
    page = await client.get("/dashboard")
    listing = page.text.split('id="staff-table"')[1]
    assert ids["late"] in listing  # garbage -> DLH
    assert ids["gambir"] not in listing and ids["done"] not in listing  # street lights (DBM), trees (DPHK)


async def test_other_lurah_sees_nothing_here(client, gateway, clock):
    await _seed(gateway, clock)
    assert (await _login(client, "lurah-gambir")).status_code == 303
    page = await client.get("/dashboard/bangka")
    assert 'id="staff-table"' not in page.text and "Tidak ada laporan di sini" in page.text


async def test_bad_logins(client, gateway):
    for login, password in [("lurah-bangka", "wrong"), ("lurah\x00bangka", STAFF_PASSWORD), ("nobody", STAFF_PASSWORD), ("no-password", ""),
                            ("no-password", "anything"), ("' OR '1'='1", "' OR '1'='1")]:
        r = await _login(client, login, password)
        assert r.status_code == 401, login
        assert "aduan_staff" not in r.cookies
    form = await client.get("/masuk")
    r = await client.post("/masuk", data={"csrf": "forged", "login": "lurah-bangka", "password": STAFF_PASSWORD})
    assert r.status_code == 403 and "aduan_staff" not in r.cookies
    # a forged session cookie is ignored
    client.cookies.set("aduan_staff", "eyJzIjoibHVyYWgtYmFuZ2thIn0.AAAA")
    assert 'id="staff-table"' not in (await client.get("/dashboard")).text
    assert form.status_code == 200


async def test_login_rate_limit_per_ip(client, gateway, clock):
    limit = gateway.config.web.login_failures_per_hour_per_ip
    for _ in range(limit):
        assert (await _login(client, "lurah-bangka", "wrong")).status_code == 401
    r = await _login(client, "lurah-bangka")  # even the right password waits
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    clock.advance(hours=1, seconds=1)
    assert (await _login(client, "lurah-bangka")).status_code == 303


async def test_session_expires_and_next_is_local_only(client, gateway, clock):
    r = await _login(client, "lurah-bangka", next="//evil.example/x")
    assert r.headers["location"] == f"/dashboard/{BANGKA}"
    r = await _login(client, "lurah-bangka", next="/dashboard")
    assert r.headers["location"] == "/dashboard"
    assert "Lurah Bangka" in (await client.get("/dashboard")).text
    clock.advance(hours=gateway.config.web.session_hours, seconds=1)
    assert "Lurah Bangka" not in (await client.get("/dashboard")).text


async def test_passwords_are_hashed(gateway):
    rows = await gateway.db.read(lambda c: list(c.execute(select(repo.T_STAFF.c.password_hash)).scalars()))
    assert all(h is None or (h.startswith("scrypt$") and STAFF_PASSWORD not in h) for h in rows)
    from bot.web.security import hash_password, verify_password

    h = hash_password("abc-def-ghi-123")
    assert verify_password("abc-def-ghi-123", h) and not verify_password("abc-def-ghi-124", h)
    assert not verify_password("x", "plain-text") and not verify_password("x", "scrypt$1$2$3$%%$%%")
