"""Officers see when a report's area is approximate or still needs placing (``lihat``/``show``)."""
from __future__ import annotations

from bot.boundaries import BoundaryIndex, Centre
from bot.models import InboundMessage


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
