"""Admin pages (issue 11, points 6, 7, 4): the staff directory, the audit log, canned replies, and an
officer's own account page. Signed-in admins only, CSRF on every form, every change audited."""
from __future__ import annotations

from pathlib import Path

import httpx
import pyotp
import pytest

from store import staff as store_staff
from store import staff_directory as sd
from tests.web.conftest import _HASH, WEB_SECRET, hidden, sign_in, web_config


@pytest.fixture
def config(tmp_path: Path, database_url: str):
    staff = [{"code": "admin-1", "name": "Admin Kota", "role": "admin", "password_hash": _HASH},
             {"code": "dlh-1", "name": "Petugas DLH", "role": "agency_officer", "agency": "DLH",
              "password_hash": _HASH, "slack_user_id": "U_DLH"}]
    return web_config(tmp_path, database_url, staff=staff, web={"secret_key": WEB_SECRET})


@pytest.fixture
async def officer(gateway):
    """A second browser, for the officer whose account the admin changes."""
    from bot.http.app import create_app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(gateway)),
                                 base_url="http://aduan.test") as c:
        yield c


async def _admin(client, clock) -> None:
    r, _ = await sign_in(client, "admin-1", clock)
    assert r.status_code == 200 and "aduan_staff" in r.cookies


async def _post(client, page: str, action: str, **data):
    form = await client.get(page)
    assert form.status_code == 200, form.text
    return await client.post(action, data={"csrf": hidden(form.text, "csrf", action), **data})


async def _name_shown(c) -> bool:
    return "Petugas DLH" in (await c.get("/dashboard")).text


async def test_only_signed_in_admins(client, officer, clock):
    for path in ("/petugas/admin/staf", "/petugas/admin/audit", "/petugas/admin/balasan", "/petugas/admin/staf/dlh-1"):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/masuk?next=" + path
    await sign_in(officer, "dlh-1", clock)
    assert (await officer.get("/petugas/admin/staf")).status_code == 403
    assert (await officer.post("/petugas/admin/staf", data={"csrf": "x", "code": "x"})).status_code == 403
    assert (await officer.get("/petugas/akun")).status_code == 200  # their own account page is theirs


async def test_add_link_disable_from_the_admin_page(client, officer, gateway, clock):
    await _admin(client, clock)
    forged = await client.post("/petugas/admin/staf", data={"csrf": "forged", "code": "dishub-1", "name": "X",
                                                            "role": "agency_officer"})
    assert forged.status_code == 403
    r = await _post(client, "/petugas/admin/staf", "/petugas/admin/staf", code="dishub-1", name="Petugas Dishub",
                    role="agency_officer", agency="DISHUB", password="kata-sandi-dishub-1")
    assert r.status_code == 303 and r.headers["location"] == "/petugas/admin/staf/dishub-1?done=add"
    bad = await _post(client, "/petugas/admin/staf", "/petugas/admin/staf", code="x-1", name="X", role="lurah",
                      agency="NOPE")
    assert bad.status_code == 400 and "NOPE" in bad.text
    page = "/petugas/admin/staf/dishub-1"
    assert (await _post(client, page, page, op="link", channel="telegram", external_id="7770042")).status_code == 303
    taken = await _post(client, page, page, op="link", channel="slack", external_id="U_DLH")
    assert taken.status_code == 400 and "another officer" in taken.text
    assert (await gateway.staff.directory.by_telegram(7770042)).code == "dishub-1"
    listing = (await client.get("/petugas/admin/staf")).text
    assert "dishub-1" in listing and "telegram:7770042" in listing and "slack:U_DLH" in listing

    # disabling ends the officer's sessions at once and refuses their chat commands
    r, _ = await sign_in(officer, "dlh-1", clock)
    assert r.status_code == 303 and await _name_shown(officer)
    page = "/petugas/admin/staf/dlh-1"
    assert (await _post(client, page, page, op="disable")).status_code == 303
    assert not await _name_shown(officer)
    assert await gateway.staff.directory.by_slack("U_DLH") is None
    assert (await _post(client, page, page, op="enable")).status_code == 303
    mine = "/petugas/admin/staf/admin-1"
    assert (await _post(client, mine, mine, op="disable")).status_code == 400  # not yourself

    audit = (await client.get("/petugas/admin/audit?staff=dlh-1")).text
    assert "staff_disable" in audit and "staff_enable" in audit and "staff:admin-1" in audit
    rows = await gateway.db.read(lambda c: sd.audit_rows(c, limit=50, staff_code="dishub-1"))
    assert [r["action"] for r in reversed(rows)] == ["staff_add", "staff_link"]
    assert all("kata-sandi" not in (r["detail"] or "") and "scrypt" not in (r["detail"] or "") for r in rows)


async def test_set_password_and_role_from_the_admin_page(client, officer, gateway, clock):
    await _admin(client, clock)
    await sign_in(officer, "dlh-1", clock)
    page = "/petugas/admin/staf/dlh-1"
    assert (await _post(client, page, page, op="set-password", password="pendek")).status_code == 400
    assert (await _post(client, page, page, op="set-password", password="sandi-baru-dari-admin")).status_code == 303
    assert not await _name_shown(officer)
    r, _ = await sign_in(officer, "dlh-1", clock, password="sandi-baru-dari-admin")
    assert r.status_code == 303
    r = await _post(client, page, page, op="update", name="Petugas DLH", role="validator", agency="DLH")
    assert r.status_code == 303
    assert not await _name_shown(officer)  # a validator must sign in with TOTP now
    row = await gateway.db.read(sd.staff_row, "dlh-1")
    assert (row["role"], row["managed_by"]) == ("validator", "db")


async def test_audit_log_pages(client, gateway, clock):
    now = clock.now()
    await gateway.db.write(lambda c: [sd.audit(c, now, "signin_failed", staff_code="dlh-1", reason="password")
                                      for _ in range(60)])
    await _admin(client, clock)
    first = (await client.get("/petugas/admin/audit?action=signin_failed")).text
    assert first.count("<td>signin_failed</td>") == 50 and 'rel="next"' in first
    second = (await client.get("/petugas/admin/audit?action=signin_failed&page=2")).text
    assert second.count("<td>signin_failed</td>") == 10 and 'rel="prev"' in second and 'rel="next"' not in second


async def test_canned_replies_crud(client, gateway, clock):
    await _admin(client, clock)
    base = "/petugas/admin/balasan"
    for category, language, title in (("sampah", "id", "Sampah diangkut"), (None, "id", "Terima kasih"),
                                      ("sampah", "en", "Garbage collected"), ("jalan_rusak", "id", "Jalan diperbaiki")):
        r = await _post(client, base, base, category=category or "", language=language, title=title,
                        body=f"{title}: laporan Anda sudah kami tindak lanjuti.")
        assert r.status_code == 303, r.text
    assert (await _post(client, base, base, category="NOPE", language="id", title="x", body="y")).status_code == 400
    assert (await _post(client, base, base, language="fr", title="x", body="y")).status_code == 400
    picked = await gateway.db.read(store_staff.list_canned, "sampah", "id")
    assert [r["title"] for r in picked] == ["Sampah diangkut", "Terima kasih"]  # the category's own first
    assert [r["title"] for r in await gateway.db.read(store_staff.list_canned, "sampah", "en")] == ["Garbage collected"]
    assert [r["title"] for r in await gateway.db.read(store_staff.list_canned, None, "id")] == ["Terima kasih"]
    listing = (await client.get(base)).text
    assert "Jalan diperbaiki" in listing and "Sampah diangkut" in listing
    reply_id = picked[0]["id"]
    edit = f"{base}/{reply_id}"
    r = await _post(client, edit, edit, op="save", category="sampah", language="id", title="Sampah sudah diangkut",
                    body="Sampah di lokasi sudah diangkut petugas.")
    assert r.status_code == 303
    assert (await gateway.db.read(store_staff.canned_by_id, reply_id))["body"] == "Sampah di lokasi sudah diangkut petugas."
    assert (await _post(client, edit, edit, op="delete")).status_code == 303
    assert await gateway.db.read(store_staff.canned_by_id, reply_id) is None
    assert (await client.get(edit)).status_code == 404
    actions = [r["action"] for r in await gateway.db.read(lambda c: sd.audit_rows(c, limit=20, action=None))]
    assert actions[:2] == ["canned_delete", "canned_save"] and actions.count("canned_add") == 4


async def test_officer_enrols_changes_password_and_renews_codes(client, officer, gateway, clock):
    await sign_in(client, "dlh-1", clock)
    await sign_in(officer, "dlh-1", clock)  # another browser of the same officer
    page = await client.get("/petugas/akun")
    secret = page.text.split('<code class="secret">')[1].split("</code>")[0]
    r = await client.post("/masuk/2fa-baru", data={"csrf": hidden(page.text, "csrf", "/masuk/2fa-baru"),
                                                   "pending": hidden(page.text, "pending", "/masuk/2fa-baru"),
                                                   "next": "/petugas/akun", "code": pyotp.TOTP(secret).at(clock.now())})
    assert r.status_code == 200 and r.text.count("<li><code>") == 10
    clock.advance(seconds=31)
    wrong = await _post(client, "/petugas/akun", "/petugas/akun/sandi", current="salah", password="kata-sandi-baru-dlh")
    assert wrong.status_code == 400
    r = await _post(client, "/petugas/akun", "/petugas/akun/sandi", current="kata-sandi-rahasia-123",
                    password="kata-sandi-baru-dlh")
    assert r.status_code == 303 and "aduan_staff" in r.cookies
    assert await _name_shown(client) and not await _name_shown(officer)  # this browser stays, the other is out
    r = await _post(client, "/petugas/akun", "/petugas/akun/pemulihan", code=pyotp.TOTP(secret).at(clock.now()))
    assert r.status_code == 200 and r.text.count("<li><code>") == 10
    actions = [r["action"] for r in reversed(await gateway.db.read(lambda c: sd.audit_rows(c, limit=20,
                                                                                           staff_code="dlh-1")))]
    assert actions[-3:] == ["password_change_failed", "password_changed", "recovery_codes_renewed"]
