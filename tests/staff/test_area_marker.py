"""Officers see when a report's area is approximate or still needs placing (``lihat``/``show``)."""
from __future__ import annotations

import json

from bot.boundaries import BoundaryIndex, Centre
from bot.models import InboundMessage
from store import repo


async def _report_at(desk, n: int, lat: float, lon: float) -> str:
    msg = InboundMessage(channel="memory", external_id=f"geo-{n}", sender=f"+62812000000{n}",
                         text="Jalan berlubang besar, bahaya untuk motor", standalone=True,
                         latitude=lat, longitude=lon)
    (outcome,) = await desk.gw.intake.submit([msg])
    assert outcome.action == "new_ticket", outcome
    return outcome.tracking_id


async def test_needs_placing_and_approximate_are_marked(desk):
    unplaced = await _report_at(desk, 1, -6.595, 106.80)  # Bogor: in no polygon, no centre within 5 km
    text = await desk.run("U_ADMIN", f"lihat {unplaced}")
    assert "Wilayah: Kota Administrasi Jakarta Pusat" in text
    assert "PERLU DITEMPATKAN" in text

    desk.gw.resolver.use_boundaries(BoundaryIndex({}, [Centre("31.71.06.1003", -6.1925, 106.8392)]))
    near = await _report_at(desk, 2, -6.19, 106.835)
    text = await desk.run("U_ADMIN", f"lihat {near}")
    assert "Wilayah: Cikini" in text and "Lokasi PERKIRAAN" in text
    assert "PERLU DITEMPATKAN" not in text


async def test_text_placed_report_has_no_marker(desk):
    tid = await desk.report()
    text = await desk.run("U_ADMIN", f"lihat {tid}")
    assert "PERKIRAAN" not in text and "PERLU DITEMPATKAN" not in text


async def test_officer_places_a_report_and_it_is_audited(desk):
    tid = await _report_at(desk, 3, -6.595, 106.80)  # needs placing
    assert "tempatkan" in await desk.run("U_ADMIN", f"lihat {tid}")
    assert "tidak ditemukan" in await desk.run("U_ADMIN", f"tempatkan {tid} Antah Berantah")
    assert "tidak ditemukan" in await desk.run("U_ADMIN", f"tempatkan {tid} 31.74.03")  # a kecamatan
    reply = await desk.run("U_ADMIN", f"tempatkan {tid} bangka")
    assert reply == f"Laporan {tid} ditempatkan di Bangka, Mampang Prapatan, Kota Administrasi Jakarta Selatan."
    ticket = await desk.gw.db.read(lambda c: repo.ticket_by_tracking_id(c, tid))
    assert (ticket["area_code"], ticket["area_method"]) == ("31.74.03.1002", "officer")
    events = await desk.gw.db.read(lambda c: repo.events_for(c, ticket["id"]))
    (placed,) = [e for e in events if e["kind"] == "placed"]
    assert placed["actor"] == "staff:admin-1" and not placed["public"]
    assert json.loads(placed["data"])["from"] == "31.71" and json.loads(placed["data"])["from_method"] == "needs_placing"
    text = await desk.run("U_ADMIN", f"lihat {tid}")
    assert "PERLU DITEMPATKAN" not in text and "wilayah ditetapkan petugas" in text
    # English alias, by code; and a role without the right is refused.
    assert (await desk.run("U_ADMIN", f"place {tid} 31.74.03.1001")).startswith(f"Laporan {tid} ditempatkan di")
    assert "Ditolak" in await desk.run("U_VAL", f"tempatkan {tid} 31.74.03.1002")
    # The reporter then shares a location inside another kelurahan: the officer's placement stands.
    where = InboundMessage(channel="memory", external_id="geo-3-loc", sender="+628120000003", text="",
                           latitude=-6.1754, longitude=106.8272, is_location_only=True)
    (outcome,) = await desk.gw.intake.submit([where])
    assert outcome.action == "location" and outcome.tracking_id == tid
    ticket = await desk.gw.db.read(lambda c: repo.ticket_by_tracking_id(c, tid))
    assert (ticket["area_code"], ticket["area_method"]) == ("31.74.03.1001", "officer")
    assert (ticket["latitude"], ticket["longitude"]) == (-6.1754, 106.8272)
