"""The public tracking page /t/{id}: CRM colours, timeline, agency, deadlines, proof photo,
language switch, friendly 404, and never the reporter's identity."""
from __future__ import annotations

import re

from bot.tracking import ALPHABET, new_tracking_id
from tests.web.conftest import finish, jpeg, move, report

SENDER = "+6281211112222"


async def test_waiting_ticket_is_red_with_agency_deadlines_and_timeline(client, gateway):
    tid = await report(gateway, sender=SENDER, sender_name="Budi Santoso")
    r = await client.get(f"/t/{tid}")
    assert r.status_code == 200
    html = r.text
    assert '<html lang="id">' in html
    assert tid in html
    assert 'class="status status-red"' in html and "Menunggu" in html and "(merah)" in html
    assert "Dinas Lingkungan Hidup" in html  # the agency responsible for garbage
    assert "Kel. Bangka" in html
    assert "Batas penyelesaian" in html and "Batas koordinasi" in html
    # 2026-03-02 01:00 UTC + 168 h = 9 Mar 2026 08.00 WIB
    assert "9 Mar 2026 08.00 WIB" in html
    assert "Laporan diterima" in html
    assert SENDER not in html and "Budi" not in html and "6281211112222" not in html
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert r.headers["x-frame-options"] == "DENY"


async def test_english_switch_by_query_and_cookie(client, gateway):
    tid = await report(gateway)
    r = await client.get(f"/t/{tid}?lang=en")
    assert '<html lang="en">' in r.text
    assert "Waiting" in r.text and "(red)" in r.text and "Resolution deadline" in r.text
    assert "9 Mar 2026 08:00 WIB" in r.text
    # the switch link points back to Indonesian
    assert f'href="/t/{tid}?lang=id"' in r.text
    assert r.cookies.get("aduan_lang") == "en"
    again = await client.get(f"/t/{tid}")  # the cookie keeps English
    assert '<html lang="en">' in again.text


async def test_colours_for_every_stage(client, gateway):
    tid = await report(gateway)
    await move(gateway, tid, "PROSES")
    r = await client.get(f"/t/{tid}")
    assert 'class="status status-yellow"' in r.text and "Proses" in r.text
    other = await report(gateway, external_id="m-2", sender="+6281200000002")
    await move(gateway, other, "DITOLAK", reason="Bukan kewenangan Pemprov; hubungi 0812-9999-8888")
    r = await client.get(f"/t/{other}")
    assert 'class="status status-grey"' in r.text and "Ditolak" in r.text
    assert "Bukan kewenangan Pemprov" in r.text
    assert "0812-9999-8888" not in r.text and "[disamarkan]" in r.text


async def test_done_shows_proof_photo_served_without_exif(client, gateway):
    tid = await report(gateway)
    await finish(gateway, tid, proof=jpeg())
    r = await client.get(f"/t/{tid}")
    assert 'class="status status-green"' in r.text and "Selesai" in r.text
    m = re.search(r'<img src="(/media/[0-9a-f]{64})" alt="([^"]+)"', r.text)
    assert m, r.text
    assert tid in m.group(2)
    photo = await client.get(m.group(1))
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert "Belum beres?" in r.text


async def test_citizen_photo_is_never_shown(client, gateway):
    from bot.models import InboundAttachment

    tid = await report(gateway, attachments=[InboundAttachment(jpeg(colour=(200, 10, 10)), "image/jpeg", "a.jpg")])
    r = await client.get(f"/t/{tid}")
    assert "/media/" not in r.text


async def test_html_in_report_is_escaped(client, gateway):
    tid = await report(gateway, text='<script>alert(1)</script> sampah "numpuk" & bau <img src=x onerror=alert(2)>')
    r = await client.get(f"/t/{tid}")
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "<img src=x" not in r.text


async def test_lowercase_id_redirects_to_canonical(client, gateway):
    tid = await report(gateway)
    r = await client.get(f"/t/{tid.lower().replace('-', '')}")
    assert r.status_code == 303 and r.headers["location"] == f"/t/{tid}"


async def test_wrong_ids_get_a_friendly_404(client, gateway):
    tid = await report(gateway)
    body = tid[:-1]
    wrong_check = body + next(ch for ch in ALPHABET if ch != tid[-1])
    cases = {
        "check-character": wrong_check,
        "unknown-valid": new_tracking_id("JKT"),
        "confusable-letters": "JKT-7K3M-QX0O",
        "garbage": "hello",
        "sql": "1' OR '1'='1",
    }
    for name, given in cases.items():
        r = await client.get(f"/t/{given}")
        assert r.status_code == 404, name
        assert "Laporan tidak ditemukan" in r.text, name
        assert ALPHABET in r.text and "O, I, L" in r.text, name
    r = await client.get("/t/JKT-7K3M-QX0O")
    assert "0, O" in r.text  # points at the characters that are never used
    r = await client.get("/t/<b>x</b>")
    assert "<b>x</b>" not in r.text


async def test_lookup_form(client, gateway):
    tid = await report(gateway)
    r = await client.get("/t", params={"id": tid.lower()})
    assert r.status_code == 303 and r.headers["location"] == f"/t/{tid}"
    r = await client.get("/t", params={"id": "JKT-AAAA-AAAA"})
    assert r.status_code == 404


async def test_home_page(client):
    r = await client.get("/")
    assert r.status_code == 200
    assert 'href="/lapor"' in r.text and 'action="/t"' in r.text
    css = await client.get("/static/aduan.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
