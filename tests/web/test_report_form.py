"""The citizen web form /lapor: CSRF, photo limits, contact routing, idempotency, rate limit, injection."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.web.report_form import normalize_email, normalize_phone
from store import repo
from tests.web.conftest import BANGKA, csrf_of, jpeg

TEXT = "Sampah menumpuk di depan pasar, sudah tiga hari tidak diangkut"


async def _count(gateway, table) -> int:
    return await gateway.db.read(lambda c: c.execute(select(func.count()).select_from(table)).scalar_one())


async def _submit(client, csrf: str, *, photo: tuple[str, bytes, str] | None = None, **fields: Any):
    data = {"csrf": csrf, "description": TEXT, "contact": "none", **fields}
    files = {"photo": photo} if photo else {"photo": ("", b"", "application/octet-stream")}
    return await client.post("/lapor", data=data, files=files)


async def _ticket(gateway, tid):
    return await gateway.db.read(repo.ticket_by_tracking_id, tid)


def _tid(response) -> str:
    assert response.status_code == 303, response.text
    loc = response.headers["location"]
    assert loc.startswith("/lapor/terkirim/JKT-")
    return loc.split("/")[3].split("?")[0]


async def test_form_page(client):
    r = await client.get("/lapor")
    assert r.status_code == 200
    html = r.text
    assert 'enctype="multipart/form-data"' in html and 'name="csrf"' in html
    assert 'accept="image/jpeg,image/png,image/webp"' in html
    assert '<label for="description">' in html and '<label for="photo">' in html
    assert "Gunakan lokasi saya" in html and f'value="{BANGKA}"' in html
    assert "<script nonce=" in html
    nonce = html.split('<script nonce="')[1].split('"')[0]
    assert f"'nonce-{nonce}'" in r.headers["content-security-policy"]
    assert "aduan_csrf" in r.cookies


async def test_submit_with_photo_email_and_kelurahan(client, gateway):
    csrf = await csrf_of(client, "/lapor")
    r = await _submit(client, csrf, photo=("foto.jpg", jpeg(), "image/jpeg"), contact="email",
                      email="Warga.Baik@Example.COM", kelurahan=BANGKA, address="Jl. Kemang Raya no. 5")
    tid = _tid(r)
    assert r.headers["location"].endswith("?kabar=email")
    ticket = await _ticket(gateway, tid)
    assert ticket["channel"] == "email" and ticket["area_code"] == BANGKA and ticket["category_code"] == "sampah"
    assert "Kel. Bangka" in ticket["description"] and "Jl. Kemang Raya no. 5" in ticket["description"]
    reporter = await gateway.db.read(repo.get_reporter, ticket["reporter_id"])
    assert reporter["address"] == "Warga.Baik@example.com" and not reporter["unreachable"]
    atts = await gateway.db.read(lambda c: list(c.execute(select(repo.T_ATTACHMENT).where(
        repo.T_ATTACHMENT.c.ticket_id == ticket["id"])).mappings()))
    assert [(a["kind"], a["content_type"]) for a in atts] == [("citizen", "image/jpeg")]
    # the acknowledgement goes out by email, so later updates do too
    out = await gateway.db.read(lambda c: list(c.execute(select(repo.T_MESSAGE).where(
        repo.T_MESSAGE.c.direction == "out")).mappings()))
    assert [(m["channel"], m["recipient"]) for m in out] == [("email", "Warga.Baik@example.com")]
    done = await client.get(r.headers["location"])
    assert done.status_code == 200 and tid in done.text and f'href="/t/{tid}"' in done.text
    assert f"http://aduan.test/t/{tid}" in done.text and "email" in done.text
    assert "Warga.Baik" not in done.text


async def test_sms_contact_in_e164(client, gateway):
    csrf = await csrf_of(client, "/lapor")
    tid = _tid(await _submit(client, csrf, contact="sms", phone="0812-3456-7890"))
    ticket = await _ticket(gateway, tid)
    reporter = await gateway.db.read(repo.get_reporter, ticket["reporter_id"])
    assert (ticket["channel"], reporter["address"]) == ("sms", "+6281234567890")


async def test_no_contact_files_on_web_and_notifies_nobody(client, gateway, clock):
    csrf = await csrf_of(client, "/lapor")
    r = await _submit(client, csrf, lat="-6.2615", lon="106.8106")
    tid = _tid(r)
    ticket = await _ticket(gateway, tid)
    assert ticket["channel"] == "web" and ticket["latitude"] == pytest.approx(-6.2615)
    reporter = await gateway.db.read(repo.get_reporter, ticket["reporter_id"])
    assert reporter["address"].startswith("web:")
    assert await _count(gateway, repo.T_MESSAGE) == 1  # the inbound message only; nothing queued
    from tests.web.conftest import move

    await move(gateway, tid, "PROSES")
    assert await _count(gateway, repo.T_MESSAGE) == 1
    done = await client.get(r.headers["location"])
    assert "tidak menerima kabar" in done.text


async def test_double_submit_is_one_report(client, gateway):
    csrf = await csrf_of(client, "/lapor")
    first = _tid(await _submit(client, csrf, contact="email", email="a@example.com"))
    second = _tid(await _submit(client, csrf, contact="email", email="a@example.com"))
    assert first == second
    assert await _count(gateway, repo.T_TICKET) == 1


async def test_forged_csrf_is_refused_and_nothing_stored(client, gateway):
    good = await csrf_of(client, "/lapor")
    raw, mac = good.split(".")
    for token in ("", "x", f"{raw}.{mac[:-3]}abc", good.replace(".", "..")):
        r = await _submit(client, token)
        assert r.status_code == 403, token
        assert "kedaluwarsa atau tidak valid" in r.text
        assert TEXT in r.text  # the citizen's text is kept for the next try
    # a token minted for another form (the staff sign-in)
    login_csrf = await csrf_of(client, "/masuk")
    assert (await _submit(client, login_csrf)).status_code == 403
    # a valid token without its cookie (another browser)
    client.cookies.clear()
    assert (await _submit(client, good)).status_code == 403
    assert await _count(gateway, repo.T_TICKET) == 0
    assert await _count(gateway, repo.T_MESSAGE) == 0


async def test_photo_limits(client, gateway):
    csrf = await csrf_of(client, "/lapor")
    limit = gateway.config.media.max_bytes
    big = jpeg() + b"\0" * (limit + 10)
    r = await _submit(client, csrf, photo=("besar.jpg", big, "image/jpeg"))
    assert r.status_code == 413 and "terlalu besar" in r.text
    for name, content, ctype in [("x.gif", b"GIF89a" + b"\0" * 20, "image/gif"), ("x.jpg", b"<?php echo 1; ?>", "image/jpeg"),
                                 ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
                                 ("x.pdf", b"%PDF-1.4 ...", "application/pdf")]:
        r = await _submit(client, csrf, photo=(name, content, ctype))
        assert r.status_code == 415, name
        assert "JPEG, PNG atau WebP" in r.text
    # the whole body over the upload limit is refused before parsing
    huge = b"\xff\xd8\xff" + b"\0" * (gateway.config.http.max_upload_bytes + 1)
    r = await _submit(client, csrf, photo=("huge.jpg", huge, "image/jpeg"))
    assert r.status_code == 413
    assert await _count(gateway, repo.T_TICKET) == 0


INVALID = [
    ({"description": "   "}, "description"),
    ({"description": "a" * 4001}, "description"),
    ({"address": "b" * 301}, "address"),
    ({"lat": "-6.2"}, "location"),
    ({"lat": "north", "lon": "106.8"}, "location"),
    ({"lat": "91", "lon": "106.8"}, "location"),
    ({"lat": "nan", "lon": "inf"}, "location"),
    ({"kelurahan": "31.71"}, "kelurahan"),  # a kota, not a kelurahan
    ({"kelurahan": "' OR 1=1 --"}, "kelurahan"),
    ({"contact": "email", "email": "not-an-email"}, "email"),
    ({"contact": "email", "email": ""}, "email"),
    ({"contact": "sms", "phone": "12345"}, "phone"),
    ({"contact": "sms", "phone": "+62 812 abc"}, "phone"),
]


async def test_invalid_fields(client, gateway):
    csrf = await csrf_of(client, "/lapor")
    for fields, field in INVALID:
        r = await _submit(client, csrf, **fields)
        assert r.status_code == 400, (fields, r.text)
        assert 'class="error-summary"' in r.text
        assert f'href="#{"kelurahan" if field == "location" else field}"' in r.text, fields
    assert await _count(gateway, repo.T_TICKET) == 0


INJECTIONS = ["'); DROP TABLE ticket; --", "nul\x00byte \x1b[31m", "<script>alert('x')</script>", '"><img src=x onerror=alert(1)>',
              "{{7*7}} ${7*7} {tracking_id}", "Robert'); DELETE FROM reporter WHERE ('1'='1"]


async def test_injection_in_every_text_field_is_stored_as_text_and_escaped(client, gateway):
    for i, payload in enumerate(INJECTIONS):
        csrf = await csrf_of(client, "/lapor")
        r = await _submit(client, csrf, description=f"Sampah {payload}", address=payload)
        tid = _tid(r)
        ticket = await _ticket(gateway, tid)
        assert payload.replace("\x00", "").replace("\x1b", "") in ticket["description"]
        page = await client.get(f"/t/{tid}")
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "49" not in page.text.split('class="description"')[1].split("</p>")[0]
    # invalid input is shown back escaped
    csrf = await csrf_of(client, "/lapor")
    r = await _submit(client, csrf, contact="email", email='"><script>alert(1)</script>', address="<b>x</b>")
    assert r.status_code == 400 and "<script>alert(1)" not in r.text and "&lt;b&gt;x&lt;/b&gt;" in r.text
    assert await _count(gateway, repo.T_TICKET) == len(INJECTIONS)


async def test_rate_limit_per_ip(client, gateway, clock):
    limit = gateway.config.web.form_reports_per_hour_per_ip
    for _ in range(limit):
        _tid(await _submit(client, await csrf_of(client, "/lapor")))
    r = await _submit(client, await csrf_of(client, "/lapor"))
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert await _count(gateway, repo.T_TICKET) == limit
    clock.advance(hours=1, seconds=1)
    _tid(await _submit(client, await csrf_of(client, "/lapor")))


def test_contact_normalisation():
    assert normalize_phone("0812-3456-7890") == "+6281234567890"
    assert normalize_phone("+62 812 3456 7890") == "+6281234567890"
    assert normalize_phone("6281234567890") == "+6281234567890"
    assert normalize_phone("(021) 555-1234") is None  # a Jakarta landline gets no SMS
    assert normalize_phone("+44 7400 123456") == "+447400123456"
    assert normalize_phone("+44 7700 900123") is None  # Ofcom's fictional drama range: no real phone
    assert normalize_phone("０８１２-３４５６-７８９０") == "+6281234567890"  # full-width digits from a phone keyboard
    assert normalize_phone("555-1234") is None  # no country
    assert normalize_phone("0812") is None
    assert normalize_email(" Someone@Example.ORG ") == "Someone@example.org"
    assert normalize_email("a@b") is None and normalize_email("a b@c.d") is None


async def test_only_channels_that_can_send_are_offered(client, gateway, monkeypatch):
    """Without Twilio there is no "Lewat SMS"; a forged sms choice is refused with a reason, nothing queued."""
    html = (await client.get("/lapor")).text
    assert 'value="sms"' in html and 'value="email"' in html  # both configured here
    served = [c for c in gateway.registry.channels() if c != "sms"]
    monkeypatch.setattr(gateway.registry, "channels", lambda: served)
    html = (await client.get("/lapor")).text
    assert 'value="sms"' not in html and "Lewat SMS" not in html and 'id="phone"' not in html
    assert 'value="email"' in html
    before = await _count(gateway, repo.T_MESSAGE)
    r = await _submit(client, await csrf_of(client, "/lapor"), contact="sms", phone="0812-3456-7890")
    assert r.status_code == 400
    assert "Pilihan kabar ini tidak tersedia" in r.text
    assert await _count(gateway, repo.T_MESSAGE) == before


async def test_no_contact_choice_without_any_sending_channel(client, gateway, monkeypatch):
    monkeypatch.setattr(gateway.registry, "channels", lambda: ["partner", "web"])
    html = (await client.get("/lapor")).text
    assert 'name="contact"' not in html and "Pantau perkembangan laporan Anda lewat tautan" in html
    tid = _tid(await _submit(client, await csrf_of(client, "/lapor")))
    assert (await _ticket(gateway, tid))["channel"] == "web"
