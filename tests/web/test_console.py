"""The officers' web console (/petugas): inbox in scope with filters, search and deadline words; the staff
ticket page; every staff command as a form through the engine; walk-in intake with ticket.source."""
from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from bot.web.security import hash_password
from store import repo
from tests.web.conftest import BANGKA, STAFF_PASSWORD, hidden, jpeg, report, web_config
from tests.web.conftest import sign_in as web_sign_in

OFFICERS = [
    {"code": "lurah-bangka", "name": "Lurah Bangka", "role": "lurah", "area": BANGKA},
    {"code": "dlh-1", "name": "Petugas DLH", "role": "agency_officer", "agency": "DLH"},
    {"code": "sudin-1", "name": "Petugas Sudin LH", "role": "agency_officer", "agency": "SUDIN_LH_JAKSEL"},
    {"code": "val-1", "name": "Validator Kota", "role": "validator"},
    {"code": "val-gambir", "name": "Validator Gambir", "role": "validator", "area": "31.71.01.1001"},
    {"code": "lurah-gambir", "name": "Lurah Gambir", "role": "lurah", "area": "31.71.01.1001"},
    {"code": "dishub-1", "name": "Petugas Dishub", "role": "agency_officer", "agency": "DISHUB"},
    {"code": "adm-1", "name": "Admin Kota", "role": "admin"},
]
_HASH = hash_password(STAFF_PASSWORD)


@pytest.fixture
def config(tmp_path, database_url):
    return web_config(tmp_path, database_url, staff=[dict(o, password_hash=_HASH) for o in OFFICERS],
                      staff_roles={"admin": {"can_view_contact": True}})


_SECRETS: dict[tuple[int, str], str] = {}


async def sign_in(client: Any, gateway: Any, login: str) -> None:
    """Sign in (admins and validators with TOTP: enrolled the first time, a fresh code after that)."""
    client.cookies.clear()
    gateway.clock.advance(seconds=31)  # a TOTP code is accepted once: the next sign-in needs the next step
    key = (id(gateway), login)
    r, secret = await web_sign_in(client, login, gateway.clock, secret=_SECRETS.get(key))
    if secret:
        _SECRETS[key] = secret
    assert r.status_code == 303 or (r.status_code == 200 and "aduan_staff" in r.cookies), r.text  # 200: enrolled


async def act(client: Any, tid: str, command: str, files: Any = None, **fields: str) -> Any:
    # A console form's token (every console form shares its purpose), also for an officer shown no form.
    csrf = await _any_csrf(client)
    return await client.post(f"/petugas/t/{tid}/aksi/{command}", data={"csrf": csrf, **fields}, files=files)


async def _any_csrf(client: Any) -> str:
    return hidden((await client.get("/petugas/baru")).text, "csrf", "/petugas/baru")


def flash_of(r: Any) -> str:
    assert r.status_code == 303, r.text
    return r.headers["location"]


async def events(gateway: Any, tid: str) -> list[Any]:
    def load(conn: Any) -> list[Any]:
        t = repo.ticket_by_tracking_id(conn, tid)
        return list(repo.events_for(conn, t["id"]))

    return await gateway.db.read(load)


async def ticket(gateway: Any, tid: str) -> Any:
    return await gateway.db.read(repo.ticket_by_tracking_id, tid)


async def test_inbox_needs_sign_in_and_shows_scope_nearest_deadline_first(client, gateway, clock):
    r = await client.get("/petugas")
    assert r.status_code == 303 and r.headers["location"].startswith("/masuk?next=/petugas")
    bangka = await report(gateway, "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka, hubungi 081234567890",
                          external_id="a", sender="+6281200000001")
    clock.advance(hours=2)
    bangka2 = await report(gateway, "Jalan berlubang di Kel. Bangka Kec. Mampang Prapatan", external_id="b",
                           sender="+6281200000002")
    gambir = await report(gateway, "Lampu jalan mati di Kel. Gambir Kec. Gambir", external_id="c",
                          sender="+6281200000003")
    await sign_in(client, gateway, "lurah-bangka")
    page = await client.get("/petugas")
    assert page.status_code == 200
    ids = re.findall(r'class="mono con-id" href="/petugas/t/([A-Z0-9-]+)"', page.text)
    assert set(ids) == {bangka, bangka2} and gambir not in page.text  # the scope rule of `daftar`
    t1, t2 = await ticket(gateway, bangka), await ticket(gateway, bangka2)
    assert ids == [x["tracking_id"] for x in sorted([t1, t2], key=lambda x: (x["resolve_due"], x["id"]))]
    assert "tersisa" in page.text and "081234567890" not in page.text
    clock.advance(days=20)
    await sign_in(client, gateway, "lurah-bangka")  # the session of 12 hours has ended
    late = await client.get("/petugas?due=overdue&lang=en")
    assert "days late" in late.text and "con-late" in late.text


async def test_inbox_filters_search_typo_and_pages(client, gateway, clock):
    tids = [await report(gateway, f"Sampah menumpuk nomor {i} di Kel. Bangka", external_id=f"p{i}",
                         sender=f"+62812000001{i:02d}") for i in range(30)]
    other = await report(gateway, "Jalan berlubang di Kel. Bangka", external_id="q", sender="+6281200000999")
    await sign_in(client, gateway, "adm-1")
    first = await client.get("/petugas")
    shown = re.findall(r'href="/petugas/t/([A-Z0-9-]+)"', first.text)
    assert len(shown) == 25 and 'rel="next"' in first.text
    nxt = re.search(r'rel="next" href="([^"]+)"', first.text).group(1).replace("&amp;", "&")
    second = await client.get(nxt)
    rest = re.findall(r'href="/petugas/t/([A-Z0-9-]+)"', second.text)
    assert len(rest) == 6 and not set(rest) & set(shown)
    assert set(shown) | set(rest) == set(tids) | {other}
    # words
    r = await client.get("/petugas", params={"q": "berlubang"})
    assert re.findall(r'href="/petugas/t/([A-Z0-9-]+)"', r.text) == [other]
    # a mistyped ID (one symbol wrong) still finds its ticket through the check character
    target = tids[7]
    body = target.replace("-", "")[3:]
    wrong = body[:3] + ("2" if body[3] != "2" else "3") + body[4:]
    r = await client.get("/petugas", params={"q": wrong})
    assert target in re.findall(r'href="/petugas/t/([A-Z0-9-]+)"', r.text)
    assert "salah ketik" in r.text
    # filters: category, status, mine, source, date range
    r = await client.get("/petugas", params={"kategori": "jalan_rusak"})
    assert re.findall(r'href="/petugas/t/([A-Z0-9-]+)"', r.text) in ([other], [])
    r = await client.get("/petugas", params={"kanal": "memory", "dari": "2000-01-01", "sampai": "2100-01-01"})
    assert len(re.findall(r'href="/petugas/t/([A-Z0-9-]+)"', r.text)) == 25
    r = await client.get("/petugas", params={"kanal": "surat_gubernur"})
    assert "Tidak ada laporan yang cocok" in r.text
    r = await client.get("/petugas", params={"saya": "1"})
    assert "Tidak ada laporan yang cocok" in r.text


async def test_changes_endpoint_reports_new_tickets_in_scope(client, gateway):
    await sign_in(client, gateway, "lurah-bangka")
    assert (await client.get("/petugas/perubahan")).json()["changed"] == []
    version = (await client.get("/petugas/perubahan")).json()["version"]
    tid = await report(gateway, "Sampah menumpuk di Kel. Bangka", external_id="n1", sender="+6281200000001")
    await report(gateway, "Lampu jalan mati di Kel. Gambir Kec. Gambir", external_id="n2", sender="+6281200000002")
    body = (await client.get("/petugas/perubahan", params={"since": version})).json()
    assert body["changed"] == [tid] and body["version"] > version
    client.cookies.clear()
    assert (await client.get("/petugas/perubahan")).status_code == 401


async def test_ticket_page_timeline_internal_photos_and_no_contact(client, gateway, clock):
    tid = await report(gateway, "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka", external_id="t1",
                       sender="+6281200000077", latitude=-6.2632, longitude=106.8183)  # inside Kel. Bangka
    await sign_in(client, gateway, "lurah-bangka")
    r = await act(client, tid, "catatan", text="cek lokasi besok pagi")
    assert f"/petugas/t/{tid}" in flash_of(r)  # done: back to the ticket page
    page = await client.get(f"/petugas/t/{tid}")
    assert page.status_code == 200
    assert "cek lokasi besok pagi" in page.text and "con-internal" in page.text
    assert "+6281200000077" not in page.text and "Tampilkan kontak" not in page.text
    assert 'id="location"' in page.text and "Batas koordinasi" in page.text and "tersisa" in page.text
    assert (await client.post(f"/petugas/t/{tid}/kontak", data={"csrf": await _any_csrf(client)})).status_code == 403
    # out of scope: refused
    await sign_in(client, gateway, "lurah-gambir")
    assert (await client.get(f"/petugas/t/{tid}")).status_code == 403


async def test_contact_shown_only_with_role_flag_and_audited(client, gateway):
    tid = await report(gateway, "Sampah menumpuk di Kel. Bangka", external_id="c1", sender="+6281200000055")
    await sign_in(client, gateway, "adm-1")
    page = await client.get(f"/petugas/t/{tid}")
    assert "+6281200000055" not in page.text and "Tampilkan kontak" in page.text
    shown = await client.post(f"/petugas/t/{tid}/kontak", data={"csrf": await _any_csrf(client)})
    assert shown.status_code == 200 and "+6281200000055" in shown.text
    viewed = [e for e in await events(gateway, tid) if e["kind"] == "contact_viewed"]
    assert len(viewed) == 1 and viewed[0]["actor"] == "staff:adm-1"


async def test_lifecycle_through_the_engine_with_proof_photo(client, gateway, memory):
    tid = await report(gateway, "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka", external_id="l1",
                       sender="+6281200000066")
    await sign_in(client, gateway, "dlh-1")
    assert "?m=" in flash_of(await act(client, tid, "ambil"))
    assert "?m=" in flash_of(await act(client, tid, "disposisi", target="SUDIN_LH_JAKSEL"))
    t = await ticket(gateway, tid)
    assert t["status"] == "DISPOSISI" and t["unit"] == "SUDIN_LH_JAKSEL"
    await sign_in(client, gateway, "sudin-1")
    flash_of(await act(client, tid, "proses"))
    big = jpeg((3000, 2000), (200, 60, 30))
    flash_of(await act(client, tid, "selesai", files={"photo": ("bukti.jpg", big, "image/jpeg")}, text="sudah bersih"))
    t = await ticket(gateway, tid)
    assert t["status"] == "MENUNGGU_VALIDASI"
    proofs = await gateway.db.read(lambda c: list(c.execute(select(repo.T_ATTACHMENT).where(
        repo.T_ATTACHMENT.c.ticket_id == t["id"], repo.T_ATTACHMENT.c.kind == "proof")).mappings()))
    assert len(proofs) == 1 and proofs[0]["size"] < len(big)  # resized on the server
    await sign_in(client, gateway, "val-1")
    flash_of(await act(client, tid, "validasi"))
    assert (await ticket(gateway, tid))["status"] == "SELESAI"
    actors = [(e["kind"], e["actor"]) for e in await events(gateway, tid)]
    assert ("assigned", "staff:dlh-1") in actors and ("status", "staff:val-1") in actors
    assert all(repo.loads(e["data"]).get("via") == "web" for e in await events(gateway, tid)
               if e["actor"].startswith("staff:") and e["kind"] in ("assigned", "status"))


async def test_state_refusal_is_shown_and_csrf_is_required(client, gateway):
    tid = await report(gateway, "Sampah menumpuk di Kel. Bangka", external_id="s1", sender="+6281200000044")
    await sign_in(client, gateway, "val-1")
    r = await act(client, tid, "validasi")
    page = await client.get(flash_of(r))
    assert "notice-error" in page.text  # nothing to validate: the engine's answer, shown as an error
    forged = await client.post(f"/petugas/t/{tid}/aksi/catatan", data={"csrf": "forged", "text": "x"})
    assert forged.status_code == 403
    bad = await act(client, tid, "perpanjang", hours="abc", text="alasan")
    assert bad.status_code == 400


# Every action, by an officer whose role may run it but whose scope does not hold the ticket.
OUT_OF_SCOPE = [
    ("ambil", "lurah-gambir", {}), ("koordinasi", "lurah-gambir", {"target": "DISHUB"}),
    ("disposisi", "dishub-1", {"target": "SUDIN_LH_JAKSEL"}), ("proses", "lurah-gambir", {}),
    ("selesai", "lurah-gambir", {}), ("validasi", "val-gambir", {}), ("tolak-tl", "val-gambir", {"text": "buruk"}),
    ("tolak", "lurah-gambir", {"text": "bukan wewenang"}), ("catatan", "lurah-gambir", {"text": "catatan"}),
    ("balas", "lurah-gambir", {"text": "halo"}), ("perpanjang", "lurah-gambir", {"hours": "4", "text": "alasan"}),
    ("gabung", "lurah-gambir", {"target": "JKT-7K3M-QXP2"}),
]


@pytest.mark.parametrize(("command", "who", "fields"), OUT_OF_SCOPE, ids=[c for c, _, _ in OUT_OF_SCOPE])
async def test_out_of_scope_officer_is_refused_on_every_action(client, gateway, command, who, fields, tmp_path,
                                                                database_url):
    tid = await report(gateway, "Sampah menumpuk di Kel. Bangka", external_id="o1", sender="+6281200000033")
    before = await ticket(gateway, tid)
    await sign_in(client, gateway, who)
    files = {"photo": ("p.jpg", jpeg(), "image/jpeg")} if command == "selesai" else None
    r = await act(client, tid, command, files=files, **fields)
    assert r.status_code == 403, (command, r.status_code)
    assert "Bangka" in r.text or "wilayah" in r.text or "instansi" in r.text  # the engine's reason
    after = await ticket(gateway, tid)
    assert dict(after) == dict(before)
    denied = [e for e in await events(gateway, tid) if e["kind"] == "staff_denied"]
    assert denied and repo.loads(denied[-1]["data"])["command"] == command


async def test_walk_in_intake_records_source_and_update_channel(client, gateway, memory):
    await sign_in(client, gateway, "lurah-bangka")
    form = await client.get("/petugas/baru")
    assert form.status_code == 200 and "Surat Gubernur" in form.text
    r = await client.post("/petugas/baru", data={"csrf": hidden(form.text, "csrf", "/petugas/baru"), "origin": "surat_gubernur",
                                                 "update": "whatsapp", "contact": "0812 3456 7890",
                                                 "text": "Saluran air tersumbat di Kel. Bangka"})
    tid = re.search(r"/petugas/t/([A-Z0-9-]+)", flash_of(r)).group(1)
    t = await ticket(gateway, tid)
    assert t["source"] == "surat_gubernur" and t["channel"] == "whatsapp"
    reporter = await gateway.db.read(repo.get_reporter, t["reporter_id"])
    assert reporter["address"] == "+6281234567890"
    # no updates wanted: nothing is ever queued for the citizen
    r = await client.post("/petugas/baru", data={"csrf": hidden(form.text, "csrf", "/petugas/baru"), "origin": "telepon",
                                                 "update": "none", "contact": "", "text": "Pohon tumbang di Kel. Bangka"})
    tid2 = re.search(r"/petugas/t/([A-Z0-9-]+)", flash_of(r)).group(1)
    t2 = await ticket(gateway, tid2)
    assert t2["source"] == "telepon"
    queued = await gateway.db.read(lambda c: list(c.execute(select(repo.T_MESSAGE.c.id).where(
        repo.T_MESSAGE.c.ticket_id == t2["id"], repo.T_MESSAGE.c.direction == "out",
        repo.T_MESSAGE.c.channel == t2["channel"])).scalars()))
    assert queued == []
    bad = await client.post("/petugas/baru", data={"csrf": hidden(form.text, "csrf", "/petugas/baru"), "origin": "surat_gubernur",
                                                   "update": "email", "contact": "0812345", "text": "x y"})
    assert bad.status_code == 400 and "tidak sesuai" in bad.text


async def test_channel_tickets_get_source_equal_to_channel(gateway):
    tid = await report(gateway, "Sampah menumpuk di Kel. Bangka", external_id="src1", sender="+6281200000022")
    assert (await ticket(gateway, tid))["source"] == "memory"


async def test_report_and_dashboard_csv_broken_down_by_source(client, gateway):
    import csv
    import io

    from bot.reports import performance

    await report(gateway, "Sampah menumpuk di Kel. Bangka", external_id="r1", sender="+6281200000011")
    await sign_in(client, gateway, "lurah-bangka")
    form = await client.get("/petugas/baru")
    for text in ("Saluran air tersumbat di Kel. Bangka", "Pohon tumbang di Kel. Bangka"):
        flash_of(await client.post("/petugas/baru", data={
            "csrf": hidden(form.text, "csrf", "/petugas/baru"), "origin": "kantor_kelurahan", "update": "sms",
            "contact": "081234567890", "text": text}))
    groups = await gateway.db.read(lambda c: performance(c, None, None, "source", now=gateway.clock.now()))
    assert {g["key"]: g["tickets"] for g in groups} == {"kantor_kelurahan": 2, "memory": 1}
    r = await client.get("/dashboard.csv", params={"by": "source"})
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:4] == ["area_code", "area_name", "source", "total"]
    assert {row[2]: row[3] for row in rows[1:]} == {"kantor_kelurahan": "2", "memory": "1", "TOTAL": "3"}
    assert (await client.get("/dashboard.csv", params={"by": "nonsense"})).status_code == 400


async def test_canned_reply_is_inserted_edited_and_sent(client, gateway, memory):
    from store import staff as staff_store

    tid = await report(gateway, "Sampah menumpuk di Kel. Bangka", external_id="cr1", sender="+6281200000088")
    category = (await ticket(gateway, tid))["category_code"]
    body = "Terima kasih, petugas kami sedang menuju lokasi."
    cid = await gateway.db.write(lambda c: staff_store.add_canned(
        c, {"category_code": category, "language": "id", "title": "Menuju lokasi", "body": body}, "cli",
        gateway.clock.now()))
    await gateway.db.write(lambda c: staff_store.add_canned(
        c, {"category_code": None, "language": "en", "title": "English one", "body": "On our way"}, "cli",
        gateway.clock.now()))
    await sign_in(client, gateway, "lurah-bangka")
    page = await client.get(f"/petugas/t/{tid}")
    assert "Menuju lokasi" in page.text and "English one" not in page.text  # the ticket's language
    picked = await client.get(f"/petugas/t/{tid}", params={"balasan": str(cid)})
    assert f">{body}</textarea>" in picked.text  # without JavaScript: the reply box holds it, to edit
    flash_of(await act(client, tid, "balas", text=body + " Sekitar 30 menit lagi."))
    replies = [e for e in await events(gateway, tid) if e["kind"] == "staff_reply"]
    assert replies and replies[-1]["reason"].endswith("Sekitar 30 menit lagi.")


async def test_inbox_filters_with_control_characters_are_cleaned_not_a_server_error(client, gateway):
    """A NUL in a query parameter (PostgreSQL refuses it in text) is dropped, never a 500 (found by schemathesis)."""
    await sign_in(client, gateway, "lurah-bangka")
    for params in ({"kanal": "\x00"}, {"q": "sampah\x00"}, {"kelurahan": "\x00\x01"}, {"dari": "\x00"}):
        r = await client.get("/petugas", params=params)
        assert r.status_code == 200, (params, r.status_code)


async def test_possible_duplicate_shown_and_merged_from_the_console(client, gateway, memory):
    """The staff ticket page lists the possible duplicate, suggests it in the merge form, and merges (issue 15)."""
    text = "Sampah menumpuk di pinggir jalan Kel. Bangka sudah 3 hari"
    main = await report(gateway, text, external_id="d1", sender="+6281200000071", standalone=True)
    dup = await report(gateway, text + "!", external_id="d2", sender="+6281200000072", standalone=True)
    await gateway.intake.settled()  # the possible duplicate is linked just after the commit
    await sign_in(client, gateway, "lurah-bangka")
    page = (await client.get(f"/petugas/t/{dup}")).text
    assert 'id="duplicates"' in page and f"Kemungkinan duplikat: {main}" in page
    assert f'value="{main}"' in page and 'id="do-gabung"' in page
    flash_of(await act(client, dup, "gabung", target=main))
    merged, kept = await ticket(gateway, dup), await ticket(gateway, main)
    assert merged["merged_into_id"] == kept["id"] and merged["status"] == "DITOLAK"
    closing = [e for e in await events(gateway, dup) if e["to_status"] == "DITOLAK"][-1]
    assert closing["actor"] == "staff:lurah-bangka" and repo.loads(closing["data"])["via"] == "web"
    page = (await client.get(f"/petugas/t/{dup}")).text
    assert f"Digabung ke {main}." in page and 'id="do-gabung"' not in page
