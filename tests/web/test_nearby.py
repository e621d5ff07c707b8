"""Nearby open reports on /lapor (GET /api/v1/sekitar) and "Ini laporan yang sama": follow instead of filing."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from store import duplicates as dup_store
from store import repo
from tests.web.conftest import csrf_of, jpeg, move, report

LAT, LON = -6.2550, 106.8170
POTHOLE = "Jalan berlubang besar di Jl. Bangka Raya, bahaya untuk motor. Saya Budi Santoso 081277776666"


async def _tickets(gateway) -> int:
    return await gateway.db.read(lambda c: c.execute(select(func.count()).select_from(repo.T_TICKET)).scalar_one())


async def _open_report(gateway, *, lat: float = LAT, lon: float = LON, text: str = POTHOLE,
                       external_id: str = "near-1") -> str:
    return await report(gateway, text, external_id=external_id, sender="+6281277776666", sender_name="Budi Santoso",
                        latitude=lat, longitude=lon, standalone=True)


async def test_nearby_lists_open_reports_of_the_category_with_public_fields_only(client, gateway):
    tid = await _open_report(gateway)
    far = await _open_report(gateway, lat=LAT + 0.001, external_id="near-2")  # 111 m: outside 50 m
    rubbish = await report(gateway, "Sampah menumpuk belum diangkut", external_id="near-3", latitude=LAT + 0.0001,
                           longitude=LON, standalone=True)
    r = await client.get("/api/v1/sekitar", params={"lat": LAT + 0.0002, "lon": LON, "teks": "ada lubang di jalan"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["radius_m"] == 50 and body["category"]["code"] == "jalan_rusak"
    (item,) = body["reports"]
    assert item["tracking_id"] == tid and item["url"] == f"http://aduan.test/t/{tid}"
    assert item["distance_m"] == 20 and item["status"] == "MENUNGGU" and item["status_label"] == "Menunggu"
    assert set(item) == {"tracking_id", "url", "category", "status", "status_label", "distance_m", "created_at",
                         "description"}
    # Never the reporter (name, phone), never the exact coordinates.
    for secret in ("Budi", "Santoso", "081277776666", "6281277776666", str(LAT), "-6.255", "106.817"):
        assert secret not in r.text
    assert far not in r.text
    # No text yet: every category within the radius.
    r = await client.get("/api/v1/sekitar", params={"lat": LAT, "lon": LON})
    assert r.json()["category"] is None
    assert [x["tracking_id"] for x in r.json()["reports"]] == [tid, rubbish]
    # A closed report is not listed.
    await move(gateway, tid, "DITOLAK", reason="bukan wewenang")
    r = await client.get("/api/v1/sekitar", params={"lat": LAT, "lon": LON, "teks": "lubang"})
    assert tid not in r.text


async def test_nearby_refuses_bad_input_with_a_reason(client):
    for params in ({}, {"lat": "x", "lon": "106.8"}, {"lat": "-6.2"}, {"lat": "91", "lon": "0"},
                   {"lat": "0", "lon": "181"}, {"lat": "nan", "lon": "0"}, {"lat": "inf", "lon": "0"},
                   {"lat": "-6.2", "lon": "106.8", "teks": "x" * 4001}):
        r = await client.get("/api/v1/sekitar", params=params)
        assert r.status_code == 400, (params, r.text)
        assert r.json()["detail"]


async def test_nearby_is_rate_limited(client, gateway):
    gateway.config.duplicates.nearby_lookups_per_minute_per_ip = 30
    codes = [(await client.get("/api/v1/sekitar", params={"lat": LAT, "lon": LON})).status_code for _ in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429


async def test_nearby_is_in_the_openapi_schema(client):
    spec = (await client.get("/openapi.json")).json()
    op = spec["paths"]["/api/v1/sekitar"]["get"]
    assert {"200", "400", "429"} <= set(op["responses"])


async def _follow(client, tid: str, **fields: Any):
    csrf = await csrf_of(client, "/lapor")
    data = {"csrf": csrf, "description": "Lubangnya makin besar, tadi ada motor jatuh", "follow": tid, **fields}
    resp = await client.post("/lapor", data=data, files={"photo": ("lubang.jpg", jpeg(), "image/jpeg")})
    return resp, data


async def test_following_makes_no_ticket_and_the_follower_gets_later_updates(client, gateway, memory):
    tid = await _open_report(gateway)
    before = await _tickets(gateway)
    resp, data = await _follow(client, tid, contact="email", email="tetangga@example.org")
    assert resp.status_code == 303 and resp.headers["location"] == f"/lapor/terkirim/{tid}?kabar=email&ikut=1"
    assert await _tickets(gateway) == before
    done = await client.get(resp.headers["location"])
    assert "Anda mengikuti laporan yang sama" in done.text and f'href="/t/{tid}"' in done.text
    ticket = await gateway.db.read(repo.ticket_by_tracking_id, tid)
    # Their text and photo are on the report, as a note.
    notes = [e for e in await gateway.db.read(repo.events_for, ticket["id"]) if e["kind"] == "note"]
    assert notes[-1]["reason"].startswith("Lubangnya makin besar") and notes[-1]["actor"] == "follower:email"
    photos = await gateway.db.read(lambda c: list(c.execute(select(repo.T_ATTACHMENT).where(
        repo.T_ATTACHMENT.c.ticket_id == ticket["id"])).mappings()))
    assert len(photos) == 1
    followers = await gateway.db.read(dup_store.followers, ticket["id"])
    assert [(f["channel"], f["address"]) for f in followers] == [("email", "tetangga@example.org")]
    # A double submit (the same form) is one follow, one acknowledgement.
    again = await client.post("/lapor", data=data, files={"photo": ("lubang.jpg", jpeg(), "image/jpeg")})
    assert again.status_code == 303 and again.headers["location"].startswith(f"/lapor/terkirim/{tid}")
    assert len(await gateway.db.read(dup_store.followers, ticket["id"])) == 1
    await gateway.dispatcher.run_once()
    email = gateway.adapter("email")
    sent = " ".join(email.texts_to("tetangga@example.org"))  # the adapter splits long texts
    assert sent.count("Terima kasih") == 1 and f"Anda kini mengikuti laporan {tid}" in sent
    # The next status change reaches the reporter and the follower, each on their channel.
    await move(gateway, tid, "PROSES")
    await gateway.dispatcher.run_once()
    assert f"Laporan {tid}: status sekarang Proses" in " ".join(email.texts_to("tetangga@example.org")[-2:])
    assert f"Laporan {tid}: status sekarang Proses" in " ".join(memory.texts_to("+6281277776666")[-2:])
    assert "tetangga" not in " ".join(memory.texts_to("+6281277776666"))


async def test_following_without_contact_adds_the_note_and_sends_nothing(client, gateway):
    tid = await _open_report(gateway)
    resp, _ = await _follow(client, tid, contact="none")
    assert resp.headers["location"] == f"/lapor/terkirim/{tid}?kabar=none&ikut=1"
    ticket = await gateway.db.read(repo.ticket_by_tracking_id, tid)
    assert await gateway.db.read(dup_store.followers, ticket["id"]) == []
    assert [e for e in await gateway.db.read(repo.events_for, ticket["id"]) if e["kind"] == "note"]


async def test_following_a_closed_report_files_a_new_one(client, gateway):
    tid = await _open_report(gateway)
    await move(gateway, tid, "DITOLAK", reason="bukan wewenang")
    resp, _ = await _follow(client, tid, contact="none")
    assert resp.status_code == 303
    new = resp.headers["location"].split("/")[3].split("?")[0]
    assert new != tid and "ikut=1" not in resp.headers["location"]
