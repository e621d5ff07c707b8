"""``aduan areas import`` (GeoJSON and a zipped Shapefile), ``import-centres``, and the stored polygons
routing reports that carry only coordinates, end to end (partner API, Telegram)."""
from __future__ import annotations

import argparse
import io
import json
import zipfile
from pathlib import Path

import pytest
import shapefile
from sqlalchemy import select

from adapters.telegram import TelegramAdapter, TelegramSettings
from bot.area_cli import run_areas
from bot.cli import build_parser
from bot.clock import FakeClock
from bot.routing import NEAREST_CENTRE, NEEDS_PLACING
from scheduler.jobs import reload_boundaries
from store import area_geometry, repo
from tests.adapters.telegram import payloads as p
from tests.conftest import PARTNER_KEY, make_config
from tests.e2e.flow import asgi_client, only_ticket, start_gateway
from tests.harness.fake_api import FakeAPI

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = ROOT / "tests" / "data" / "synthetic_kelurahan.geojson"
GAMBIR, CIDENG, PETOJO_UTARA = "31.71.01.1001", "31.71.01.1002", "31.71.01.1003"
IN_HOLE = (-6.195, 106.805)  # inside Gambir's hole: Petojo Utara
IN_CIDENG = (-6.195, 106.815)


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["areas", *argv])


def _run(config, *argv: str, now=None) -> tuple[int, str]:
    out = io.StringIO()
    code = run_areas(config, _args(*argv), now or FakeClock().now(), out)
    return code, out.getvalue()


def _stored(config) -> list[dict]:
    from store.db import Database

    async def read() -> list[dict]:
        db = Database(config.database.url)
        try:
            return await db.read(lambda c: [dict(r) for r in c.execute(
                select(area_geometry.T_AREA_GEOMETRY).order_by(area_geometry.T_AREA_GEOMETRY.c.area_code)).mappings()])
        finally:
            await db.close()

    import asyncio
    return asyncio.run(read())


def _shapefile_zip(path: Path) -> Path:
    """A zipped Shapefile written with pyshp, as BIG/Jakarta Satu ship them (upper-case DBF fields)."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON) as w:
        w.field("KDEPUM", "C", size=20)
        w.field("WADMKD", "C", size=60)
        w.field("WADMKC", "C", size=60)
        # Shapefile rings: outer clockwise, holes counter-clockwise.
        w.poly([[[106.80, -6.20], [106.80, -6.19], [106.81, -6.19], [106.81, -6.20], [106.80, -6.20]],
                [[106.803, -6.197], [106.807, -6.197], [106.807, -6.193], [106.803, -6.193], [106.803, -6.197]]])
        w.record("31.71.01.1001", "GAMBIR", "GAMBIR")
        w.poly([[[106.803, -6.197], [106.803, -6.193], [106.807, -6.193], [106.807, -6.197], [106.803, -6.197]]])
        w.record("", "PETOJO UTARA", "GAMBIR")  # no code: matched by name + kecamatan
        w.poly([[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]])
        w.record("", "KAMPUNG ENTAH", "")
    with zipfile.ZipFile(path, "w") as zf:
        for name, buf in (("batas_kel.shp", shp), ("batas_kel.shx", shx), ("batas_kel.dbf", dbf)):
            zf.writestr(name, buf.getvalue())
        zf.writestr("batas_kel.prj", 'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137,298.257223563]]]')
    return path


def test_geojson_import_reports_and_is_idempotent(tmp_path, database_url) -> None:
    config = make_config(tmp_path, database_url)
    code, dry = _run(config, "import", str(SYNTHETIC), "--dry-run")
    assert code == 0
    assert "7 features read, 5 kelurahan matched" in dry
    assert "not matched to any kelurahan: 1" in dry and "Antah Berantah" in dry
    assert "rejected (empty or not a polygon): 1" in dry
    assert "invalid geometry repaired with make_valid: 1" in dry
    assert "kelurahan without a polygon: 262" in dry and "... and 232 more" in dry
    assert "dry run: nothing stored" in dry
    assert _stored(config) == []

    code, out = _run(config, "import", str(SYNTHETIC))
    assert code == 0 and "5 kelurahan polygons stored" in out
    first = _stored(config)
    assert [r["area_code"] for r in first] == ["31.01.01.1001", GAMBIR, CIDENG, PETOJO_UTARA, "31.71.01.1004"]
    gambir = next(r for r in first if r["area_code"] == GAMBIR)
    assert json.loads(gambir["geojson"])["type"] == "Polygon"
    assert len(json.loads(gambir["geojson"])["coordinates"]) == 2  # the hole survived
    # The centre is inside the polygon even though Gambir's centroid falls in its own hole.
    assert not (106.803 < gambir["centroid_lon"] < 106.807 and -6.197 < gambir["centroid_lat"] < -6.193)
    assert gambir["source"] == "synthetic_kelurahan.geojson"

    later = FakeClock().advance(hours=1)
    code, _ = _run(config, "import", str(SYNTHETIC), now=later)
    again = _stored(config)
    assert code == 0 and len(again) == 5
    assert [dict(r, imported_at=None) for r in again] == [dict(r, imported_at=None) for r in first]
    assert {r["imported_at"] for r in again} == {later}


def test_zipped_shapefile_import(tmp_path, database_url) -> None:
    config = make_config(tmp_path, database_url)
    code, out = _run(config, "import", str(_shapefile_zip(tmp_path / "batas.zip")))
    assert code == 0, out
    assert "3 features read, 2 kelurahan matched" in out and "KAMPUNG ENTAH" in out
    rows = {r["area_code"]: r for r in _stored(config)}
    assert set(rows) == {GAMBIR, PETOJO_UTARA}
    assert len(json.loads(rows[GAMBIR]["geojson"])["coordinates"]) == 2  # outer ring and hole


def test_bad_files_are_refused(tmp_path, database_url) -> None:
    config = make_config(tmp_path, database_url)
    bad = tmp_path / "x.geojson"
    bad.write_text('{"type": "Feature"}', "utf-8")
    assert _run(config, "import", str(bad))[0] == 2
    bad.write_text("not json", "utf-8")
    assert _run(config, "import", str(bad))[0] == 2
    projected = tmp_path / "utm.zip"
    with zipfile.ZipFile(_shapefile_zip(tmp_path / "src.zip")) as src, zipfile.ZipFile(projected, "w") as dst:
        for name in src.namelist():
            data = src.read(name) if not name.endswith(".prj") else b'PROJCS["WGS_1984_UTM_Zone_48S",GEOGCS[]]'
            dst.writestr(name, data)
    assert _run(config, "import", str(projected))[0] == 2
    assert _stored(config) == []


def test_import_centres(tmp_path, database_url) -> None:
    config = make_config(tmp_path, database_url)
    csv_path = tmp_path / "centres.csv"
    csv_path.write_text("code,latitude,longitude\n3171011002,-6.1714,106.8103\n31.71.06.1003,-6.1925,106.8392\n"
                        "99.99,-6,106\n31.71.01.1001,abc,106\n", "utf-8")
    code, out = _run(config, "import-centres", str(csv_path))
    assert code == 0 and "2 centres read" in out and "lines not matched or without valid coordinates: 2" in out
    rows = _stored(config)
    assert [(r["area_code"], r["geojson"]) for r in rows] == [(CIDENG, None), ("31.71.06.1003", None)]


@pytest.fixture
def config(tmp_path, database_url):
    """No boundaries file: only what these tests import."""
    return make_config(tmp_path, database_url, routing={"boundaries_geojson": None})


async def test_partner_report_with_only_coordinates_after_import(client, gateway, tmp_path) -> None:
    auth = {"Authorization": f"Bearer {PARTNER_KEY}"}

    async def report(key: str, lat: float, lon: float) -> dict:
        r = await client.post("/api/v1/reports", headers=auth, json={
            "text": "Jalan berlubang besar, bahaya untuk motor", "reporter_id": f"u-{key}", "idempotency_key": key,
            "latitude": lat, "longitude": lon})
        assert r.status_code == 201, r.text
        tid = r.json()["tracking_id"]
        return dict(await gateway.db.read(lambda c: repo.ticket_by_tracking_id(c, tid)))

    before = await report("k1", *IN_HOLE)  # no polygons, no centres yet: city level, flagged
    assert (before["area_code"], before["area_method"]) == ("31.71", NEEDS_PLACING)

    assert await reload_boundaries(gateway) is False  # nothing imported: nothing reloaded
    code, _ = await _import_in_thread(gateway.config)
    assert code == 0
    assert await reload_boundaries(gateway) is True  # the scheduler's job picks the import up
    hole = await report("k2", *IN_HOLE)
    assert (hole["area_code"], hole["area_method"]) == (PETOJO_UTARA, "coordinates")
    cideng = await report("k3", *IN_CIDENG)
    assert (cideng["area_code"], cideng["area_method"]) == (CIDENG, "coordinates")
    near = await report("k4", -6.215, 106.805)  # just south of every polygon
    assert (near["area_code"], near["area_method"]) == ("31.71.01.1004", NEAREST_CENTRE)


async def _import_in_thread(config) -> tuple[int, str]:
    import asyncio

    return await asyncio.to_thread(_run, config, "import", str(SYNTHETIC))


async def test_telegram_location_then_text_gets_the_kelurahan(tmp_path, database_url, clock) -> None:
    config = make_config(tmp_path, database_url)  # with the shipped file: the import wins where it covers
    assert (await _import_in_thread(config))[0] == 0  # before start-up: loaded by start()
    async with FakeAPI() as api:
        api.expect("POST", p.api_path("getMe"), body=p.ok(p.BOT_USER))
        api.expect("POST", p.api_path("sendMessage"), times=None,
                   body=p.ok({"message_id": 5, "from": p.BOT_USER, "chat": p.private_chat(p.CITIZEN),
                              "date": p.DATE, "text": "ok"}))
        adapter = TelegramAdapter(TelegramSettings(bot_token=p.TOKEN, api_base_url=api.base_url, mode="webhook",
                                                   webhook_secret=p.SECRET, poll_timeout=0))
        gw = await start_gateway(tmp_path, database_url, clock, adapter, ["/webhooks/telegram"])
        try:
            headers = {"content-type": "application/json", "x-telegram-bot-api-secret-token": p.SECRET}
            async with asgi_client(gw) as client:
                for update in (p.location_update(1, 11, *IN_CIDENG),
                               p.text_update(2, 12, "Lampu jalan mati, gelap sekali")):
                    r = await client.post("/webhooks/telegram", content=p.body(update), headers=headers)
                    assert r.status_code == 200
            ticket = await only_ticket(gw)
            assert (ticket["latitude"], ticket["longitude"]) == IN_CIDENG
            assert (ticket["area_code"], ticket["area_method"]) == (CIDENG, "coordinates")
        finally:
            await gw.stop()


def test_missing_boundaries_file_is_logged_not_fatal(tmp_path, database_url, caplog) -> None:
    from bot.gateway import Gateway

    config = make_config(tmp_path, database_url, routing={"boundaries_geojson": str(tmp_path / "nowhere.geojson")})
    gw = Gateway(config, database_url=database_url, adapters=[])
    assert "routing.boundaries_geojson not loaded" in caplog.text
    # Coordinates still place a report: city level, flagged.
    assert gw.resolver.resolve("", latitude=-6.195, longitude=106.815).method == NEEDS_PLACING
