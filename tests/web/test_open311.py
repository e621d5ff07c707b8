"""Open311 GeoReport v2 conformance (https://wiki.open311.org/GeoReport_v2): every method in
JSON and XML, the spec's fields and types, W3C dates with a time zone, errors as a list of
{code, description} with 400/403/404, filters, paging; POST through the intake pipeline."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from store import repo
from tests.conftest import PARTNER_KEY
from tests.web.conftest import BANGKA, finish, jpeg, move, report

BASE = "/open311/v2"
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]


def xml_of(response) -> ET.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def xml_rows(root: ET.Element) -> list[dict[str, str | None]]:
    return [{child.tag: child.text for child in item} for item in root]


def json_of(response) -> Any:
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


async def _count(gateway) -> int:
    return await gateway.db.read(lambda c: c.execute(select(func.count()).select_from(repo.T_TICKET)).scalar_one())


# --- discovery and services -------------------------------------------------------------------

async def test_discovery_json_and_xml(client):
    j = json_of(await client.get(f"{BASE}/discovery.json"))
    assert set(j) == {"changeset", "contact", "key_service", "endpoints"}
    (ep,) = j["endpoints"]
    assert ep == {"specification": "http://wiki.open311.org/GeoReport_v2", "url": "http://aduan.test/open311/v2",
                  "changeset": j["changeset"], "type": "production", "formats": ["text/xml", "application/json"]}
    assert W3C.match(j["changeset"])
    root = xml_of(await client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


async def test_services_list(client, gateway):
    j = json_of(await client.get(f"{BASE}/services.json"))
    assert [s["service_code"] for s in j] == [c.code for c in gateway.config.categories]
    sampah = j[0]
    assert list(sampah) == SERVICE_FIELDS
    assert sampah["service_code"] == "sampah" and sampah["service_name"] == "Sampah"
    assert sampah["metadata"] is True and sampah["type"] == "realtime"
    assert isinstance(sampah["keywords"], str) and "sampah" in sampah["keywords"]
    assert sampah["group"] == "Dinas Lingkungan Hidup"
    root = xml_of(await client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and all(el.tag == "service" for el in root)
    first = root[0]
    assert [c.tag for c in first] == SERVICE_FIELDS
    assert first.findtext("metadata") == "true" and first.findtext("type") == "realtime"
    lainnya = [el for el in root if el.findtext("service_code") == "lainnya"][0]
    assert lainnya.find("group").text is None  # null is an empty element


async def test_service_definition(client):
    j = json_of(await client.get(f"{BASE}/services/pohon.json"))
    assert j["service_code"] == "pohon"
    (attr,) = j["attributes"]
    assert attr == {"variable": True, "code": "patokan", "datatype": "string", "required": False,
                    "datatype_description": attr["datatype_description"], "order": 1,
                    "description": attr["description"], "values": []}
    root = xml_of(await client.get(f"{BASE}/services/pohon.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "pohon"
    a = root.find("attributes/attribute")
    assert [c.tag for c in a] == ["variable", "code", "datatype", "required", "datatype_description", "order",
                                  "description", "values"]
    assert a.findtext("variable") == "true" and a.findtext("required") == "false" and a.findtext("order") == "1"
    for fmt in ("json", "xml"):
        r = await client.get(f"{BASE}/services/nope.{fmt}")
        assert r.status_code == 404


# --- POST requests ----------------------------------------------------------------------------------

# The spec's example request, adapted to Jakarta (same fields and encoding).
SPEC_EXAMPLE = ("api_key={key}&jurisdiction_id=jakarta.go.id&service_code=jalan_rusak&lat=-6.2632&long=106.8183"
                "&address_string=Jl.+Kemang+Raya+Kel.+Bangka&email=smit333%40example.org&device_id=tt222111"
                "&account_id=123456&first_name=john&last_name=smith&phone=081111111111"
                "&description=A+large+sinkhole+is+destroying+the+street"
                "&attribute[patokan]=depan+masjid")


async def _post(client, body: str, fmt: str = "json", **headers: str):
    return await client.post(f"{BASE}/requests.{fmt}", content=body.encode(),
                             headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8", **headers})


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_post_spec_example(client, gateway, fmt):
    r = await _post(client, SPEC_EXAMPLE.format(key=PARTNER_KEY), fmt)
    assert r.status_code == 201, r.text
    if fmt == "json":
        (row,) = json_of(r)
        assert list(row) == ["service_request_id", "service_notice", "account_id"]
    else:
        root = xml_of(r)
        assert root.tag == "service_requests" and root[0].tag == "request"
        (row,) = xml_rows(root)
        assert list(row) == ["service_request_id", "service_notice", "account_id"]
    tid = row["service_request_id"]
    assert re.fullmatch(r"JKT-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", tid)
    assert row["account_id"] == "123456"
    assert f"http://aduan.test/t/{tid}" in row["service_notice"]
    ticket = await gateway.db.read(repo.ticket_by_tracking_id, tid)
    assert ticket["channel"] == "partner" and ticket["category_code"] == "jalan_rusak"
    assert ticket["agency_code"] == "DBM" and ticket["area_code"] == BANGKA
    assert ticket["latitude"] == pytest.approx(-6.2632) and "Patokan: depan masjid" in ticket["description"]
    reporter = await gateway.db.read(repo.get_reporter, ticket["reporter_id"])
    assert reporter["address"] == "jaki:smit333@example.org" and reporter["display_name"] == "john smith"
    # the reporter never shows in any answer
    for url in (f"{BASE}/requests/{tid}.json", f"{BASE}/requests/{tid}.xml", f"{BASE}/requests.json"):
        text = (await client.get(url)).text
        assert "smit333" not in text and "john" not in text and "081111111111" not in text and "123456" not in text


async def test_post_service_code_wins_over_the_text_classifier(client, gateway):
    body = f"api_key={PARTNER_KEY}&service_code=pohon&address_string=Kel.+Gambir&description=Sampah+menumpuk"
    tid = json_of(await _post(client, body))[0]["service_request_id"]
    ticket = await gateway.db.read(repo.ticket_by_tracking_id, tid)
    assert ticket["category_code"] == "pohon" and ticket["agency_code"] == "DPHK"


async def test_post_idempotency_key(client, gateway):
    body = f"api_key={PARTNER_KEY}&service_code=sampah&lat=-6.2&long=106.8&description=x"
    a = await _post(client, body, **{"Idempotency-Key": "abc"})
    b = await _post(client, body, **{"Idempotency-Key": "abc"})
    assert (a.status_code, b.status_code) == (201, 200)
    assert a.json()[0]["service_request_id"] == b.json()[0]["service_request_id"]
    assert await _count(gateway) == 1


async def test_post_media_url_is_fetched_as_the_citizen_photo(client, gateway):
    from urllib.parse import quote

    from tests.harness.fake_api import FakeAPI

    photo = jpeg()
    async with FakeAPI() as api:
        api.expect("GET", "/m/1.jpg", body=photo, headers={"content-type": "image/jpeg"})
        api.expect("GET", "/m/gone.jpg", status=404, body=b"gone")
        ok = await _post(client, f"api_key={PARTNER_KEY}&service_code=sampah&lat=-6.2&long=106.8"
                                 f"&media_url={quote(api.base_url + '/m/1.jpg', safe='')}")
        gone = await _post(client, f"api_key={PARTNER_KEY}&service_code=sampah&lat=-6.2&long=106.8"
                                   f"&media_url={quote(api.base_url + '/m/gone.jpg', safe='')}")
        api.verify()
    assert ok.status_code == 201 and gone.status_code == 400 and "media_url" in gone.json()[0]["description"]
    tid = ok.json()[0]["service_request_id"]
    atts = await gateway.db.read(lambda c: list(c.execute(select(repo.T_ATTACHMENT)).mappings()))
    assert [(a["kind"], a["content_type"]) for a in atts] == [("citizen", "image/jpeg")]
    # a citizen's photo is never public: media_url stays empty until a proof photo exists
    assert (await client.get(f"{BASE}/requests/{tid}.json")).json()[0]["media_url"] is None
    assert await _count(gateway) == 1


BAD_POSTS = [
    ("no-key", "service_code=sampah&lat=-6.2&long=106.8", 403),
    ("wrong-key", "api_key=nope&service_code=sampah&lat=-6.2&long=106.8", 403),
    ("no-service", "api_key={key}&lat=-6.2&long=106.8", 400),
    ("unknown-service", "api_key={key}&service_code=nope&lat=-6.2&long=106.8", 404),
    ("no-location", "api_key={key}&service_code=sampah&description=x", 400),
    ("lat-only", "api_key={key}&service_code=sampah&lat=-6.2", 400),
    ("lat-text", "api_key={key}&service_code=sampah&lat=utara&long=106.8", 400),
    ("lat-range", "api_key={key}&service_code=sampah&lat=-96.2&long=106.8", 400),
    ("lat-nan", "api_key={key}&service_code=sampah&lat=nan&long=106.8", 400),
    ("long-description", "api_key={key}&service_code=sampah&lat=-6.2&long=106.8&description=" + "a" * 4001, 400),
    ("unknown-attribute", "api_key={key}&service_code=sampah&lat=-6.2&long=106.8&attribute[x]=1", 400),
    ("malformed-attribute", "api_key={key}&service_code=sampah&lat=-6.2&long=106.8&attribute=1", 400),
    ("bad-email", "api_key={key}&service_code=sampah&lat=-6.2&long=106.8&email=not+an+email", 400),
    ("bad-media-url", "api_key={key}&service_code=sampah&lat=-6.2&long=106.8&media_url=file:///etc/passwd", 400),
    ("other-jurisdiction", "api_key={key}&jurisdiction_id=sfgov.org&service_code=sampah&lat=-6.2&long=106.8", 404),
    ("sql", "api_key={key}&service_code=sampah'--&lat=-6.2&long=106.8", 404),
]


async def test_post_errors_in_spec_format(client, gateway):
    for (name, body, status), fmt in [(b, f) for b in BAD_POSTS for f in ("json", "xml")]:
        r = await _post(client, body.format(key=PARTNER_KEY), fmt)
        assert r.status_code == status, (name, fmt, r.text)
        if fmt == "json":
            (err,) = json_of(r)
            assert list(err) == ["code", "description"] and err["code"] == status and err["description"]
        else:
            root = xml_of(r)
            assert root.tag == "errors" and root[0].tag == "error"
            assert root[0].findtext("code") == str(status) and root[0].findtext("description")
    assert await _count(gateway) == 0


async def test_post_control_characters_are_dropped(client, gateway):
    body = f"api_key={PARTNER_KEY}&service_code=sampah&address_string=Kel.%00Bangka&description=Sampah%00%1b+numpuk"
    tid = json_of(await _post(client, body))[0]["service_request_id"]
    ticket = await gateway.db.read(repo.ticket_by_tracking_id, tid)
    assert ticket["description"].startswith("Sampah numpuk") and "\x00" not in ticket["description"]


async def test_post_needs_a_form_body(client, gateway):
    r = await client.post(f"{BASE}/requests.json", json={"api_key": PARTNER_KEY, "service_code": "sampah"})
    assert r.status_code == 400 and r.json()[0]["code"] == 400
    assert await _count(gateway) == 0


# --- GET requests -------------------------------------------------------------------------------------

async def _seed(gateway, clock) -> dict[str, str]:
    ids = {"open": await report(gateway, external_id="a", sender="+6281200000001")}
    ids["done"] = await report(gateway, "Pohon tumbang di Kel. Gambir", external_id="b", sender="+6281200000002",
                               latitude=-6.17, longitude=106.82)
    await finish(gateway, ids["done"], proof=jpeg())
    ids["rejected"] = await report(gateway, "Lampu jalan mati hubungi 081234567890", external_id="c",
                                   sender="+6281200000003")
    await move(gateway, ids["rejected"], "DITOLAK", reason="Bukan kewenangan: jalan tol")
    clock.advance(days=1)
    return ids


async def test_get_requests_fields_json(client, gateway, clock):
    ids = await _seed(gateway, clock)
    rows = json_of(await client.get(f"{BASE}/requests.json"))
    assert [r["service_request_id"] for r in rows] == [ids["rejected"], ids["done"], ids["open"]]
    by_id = {r["service_request_id"]: r for r in rows}
    for r in rows:
        assert list(r) == REQUEST_FIELDS
        for f in ("requested_datetime", "updated_datetime", "expected_datetime"):
            assert W3C.match(r[f]), (f, r[f])
            assert r[f].endswith("+07:00")
    o = by_id[ids["open"]]
    assert o["status"] == "open" and o["status_notes"] == "Menunggu"
    assert o["service_code"] == "sampah" and o["service_name"] == "Sampah"
    assert o["agency_responsible"] == "Dinas Lingkungan Hidup"
    assert o["requested_datetime"] == "2026-03-02T08:00:00+07:00"
    assert o["expected_datetime"] == "2026-03-09T08:00:00+07:00"  # resolve_due
    assert o["address"] == "Kel. Bangka, Kec. Mampang Prapatan, Kota Administrasi Jakarta Selatan"
    assert o["address_id"] == BANGKA and o["zipcode"] == "12730"
    assert o["lat"] is None and o["long"] is None and o["media_url"] is None
    d = by_id[ids["done"]]
    assert d["status"] == "closed" and d["status_notes"] == "Selesai"
    assert isinstance(d["lat"], float) and isinstance(d["long"], float)
    assert re.fullmatch(r"http://aduan\.test/media/[0-9a-f]{64}", d["media_url"])
    x = by_id[ids["rejected"]]
    assert x["status"] == "closed" and x["status_notes"] == "Ditolak: Bukan kewenangan: jalan tol"
    assert "081234567890" not in x["description"]


async def test_get_requests_xml_matches_json(client, gateway, clock):
    await _seed(gateway, clock)
    j = json_of(await client.get(f"{BASE}/requests.json"))
    root = xml_of(await client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests" and all(el.tag == "request" for el in root)
    rows = xml_rows(root)
    assert len(rows) == len(j)
    for x, js in zip(rows, j):
        assert list(x) == REQUEST_FIELDS
        for k in REQUEST_FIELDS:
            assert x[k] == (None if js[k] is None else str(js[k])), k


async def test_get_one_request_and_token(client, gateway, clock):
    ids = await _seed(gateway, clock)
    for fmt in ("json", "xml"):
        r = await client.get(f"{BASE}/requests/{ids['done']}.{fmt}")
        assert r.status_code == 200
        rows = json_of(r) if fmt == "json" else xml_rows(xml_of(r))
        assert len(rows) == 1 and rows[0]["service_request_id"] == ids["done"]
        t = await client.get(f"{BASE}/tokens/{ids['done']}.{fmt}")
        rows = json_of(t) if fmt == "json" else xml_rows(xml_of(t))
        assert rows == [{"service_request_id": ids["done"], "token": ids["done"]}]
        for bad in ("JKT-AAAA-AAAA", "nope", ids["done"][:-1] + ("2" if ids["done"][-1] != "2" else "3")):
            assert (await client.get(f"{BASE}/requests/{bad}.{fmt}")).status_code == 404
            assert (await client.get(f"{BASE}/tokens/{bad}.{fmt}")).status_code == 404


async def test_filters(client, gateway, clock):
    ids = await _seed(gateway, clock)

    async def got(**params: str) -> list[str]:
        r = await client.get(f"{BASE}/requests.json", params=params)
        assert r.status_code == 200, r.text
        return [row["service_request_id"] for row in r.json()]

    assert await got(status="open") == [ids["open"]]
    assert await got(status="closed") == [ids["rejected"], ids["done"]]
    assert await got(status="open,closed") == await got()
    assert await got(service_code="pohon") == [ids["done"]]
    assert await got(service_code="pohon,sampah") == [ids["done"], ids["open"]]
    # service_request_id overrides every other filter, and accepts any spelling of an ID
    assert await got(service_request_id=f"{ids['open'].lower()},{ids['done']}", status="closed") == [ids["done"], ids["open"]]
    assert await got(start_date="2026-03-02T00:00:00Z", end_date="2026-03-03T00:00:00Z") == \
        [ids["rejected"], ids["done"], ids["open"]]
    assert await got(start_date="2026-03-02T09:00:00+07:00") == []
    assert await got(end_date="2026-03-01T00:00:00Z") == []
    assert await got(start_date="2026-03-02") == [ids["rejected"], ids["done"], ids["open"]]
    assert await got(page_size="2") == [ids["rejected"], ids["done"]]
    assert await got(page_size="2", page="2") == [ids["open"]]
    assert await got(page="3", page_size="2") == []
    assert await got(jurisdiction_id="jakarta.go.id", status="open") == [ids["open"]]
    # the default window is the last 90 days
    clock.advance(days=95)
    assert await got() == []


BAD_FILTERS = [
    ({"status": "pending"}, 400), ({"status": "open,,closed"}, 400), ({"service_code": "nope"}, 400),
    ({"start_date": "yesterday"}, 400), ({"start_date": "2026-03-02T00:00:00"}, 400),  # no time zone
    ({"end_date": "2026-13-45T00:00:00Z"}, 400),
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, 400),  # > 90 days
    ({"start_date": "2026-03-02T00:00:00Z", "end_date": "2026-03-01T00:00:00Z"}, 400),
    ({"page": "0"}, 400), ({"page": "-1"}, 400), ({"page": "x"}, 400), ({"page_size": "1001"}, 400),
    ({"page_size": "0"}, 400), ({"service_request_id": "JKT-AAAA-AAAA"}, 400),
    ({"service_request_id": "1' OR '1'='1"}, 400), ({"jurisdiction_id": "sfgov.org"}, 404),
]


async def test_malformed_filters(client):
    for (params, status), fmt in [(b, f) for b in BAD_FILTERS for f in ("json", "xml")]:
        r = await client.get(f"{BASE}/requests.{fmt}", params=params)
        assert r.status_code == status, (params, r.text)
        if fmt == "json":
            (err,) = r.json()
            assert err["code"] == status and err["description"]
        else:
            assert xml_of(r).tag == "errors"


async def test_xml_strips_control_characters(client, gateway):
    tid = await report(gateway, "Sampah\x0b menumpuk \x01 di Kel. Bangka")
    root = xml_of(await client.get(f"{BASE}/requests/{tid}.xml"))
    assert root.find("request/description").text == "Sampah menumpuk  di Kel. Bangka"


async def test_at_most_1000_results(client, gateway):
    def bulk(conn):
        now = gateway.clock.now()
        reporter = repo.get_or_create_reporter(conn, "memory", "+6281200000000", now, None, None)
        rows = [dict(tracking_id=f"T{i:05d}", status="MENUNGGU", channel="memory", reporter_id=reporter["id"],
                     category_code="sampah", description="x", language="id", created_at=now, updated_at=now,
                     last_inbound_at=now, coordinate_due=now, resolve_due=now, reopen_count=0) for i in range(1005)]
        conn.execute(repo.T_TICKET.insert(), rows)

    await gateway.db.write(bulk)
    r = await client.get(f"{BASE}/requests.json")
    assert len(r.json()) == 1000
    r = await client.get(f"{BASE}/requests.json", params={"page": "2"})
    assert len(r.json()) == 5
    assert datetime.fromisoformat(r.json()[0]["requested_datetime"]).utcoffset() is not None
