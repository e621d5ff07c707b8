"""The partner intake API: creation, idempotency, validation, photos, public view, signed callbacks."""
from __future__ import annotations

import hashlib
import hmac
import io
import json
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from adapters.partner import PartnerAdapter
from bot.gateway import Gateway
from bot.http.app import create_app
from bot.tickets import transition
from bot.tracking import ALPHABET, new_tracking_id, normalize
from store import repo
from tests.conftest import PARTNER_KEY, make_config
from tests.harness.fake_api import FakeAPI

URL = "/api/v1/reports"
AUTH = {"Authorization": f"Bearer {PARTNER_KEY}"}
REPORT_TEXT = "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka Kec. Mampang Prapatan"


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (180, 40, 30)).save(buf, format="JPEG")
    data = buf.getvalue()
    assert data.startswith(b"\xff\xd8\xff")
    return data


def _body(**kw: Any) -> dict[str, Any]:
    return {"text": REPORT_TEXT, "reporter_id": "jaki-user-1", "idempotency_key": "idem-1", **kw}


async def _count(gw, table) -> int:
    return await gw.db.read(lambda c: c.execute(select(func.count()).select_from(table)).scalar_one())


async def _outbound(gw) -> list[dict[str, Any]]:
    M = repo.T_MESSAGE
    return await gw.db.read(lambda c: [dict(r) for r in c.execute(
        select(M).where(M.c.direction == "out").order_by(M.c.id)).mappings()])


async def _attachments(gw, tid: str) -> list[dict[str, Any]]:
    def q(c):
        t = repo.ticket_by_tracking_id(c, tid)
        A = repo.T_ATTACHMENT
        return [dict(r) for r in c.execute(select(A).where(A.c.ticket_id == t["id"])).mappings()]

    return await gw.db.read(q)


# --- creation and idempotency ------------------------------------------------------

async def test_create_report_then_repeat_is_idempotent(client, gateway):
    r = await client.post(URL, json=_body(), headers=AUTH)
    assert r.status_code == 201, r.text
    data = r.json()
    tid = data["tracking_id"]
    assert normalize(tid) == tid
    assert data["status"] == "MENUNGGU"
    assert data["url"] == f"http://aduan.test/t/{tid}"
    assert data["duplicate"] is False

    again = await client.post(URL, json=_body(), headers=AUTH)
    assert again.status_code == 200, again.text
    assert again.json()["tracking_id"] == tid
    assert again.json()["duplicate"] is True
    assert await _count(gateway, repo.T_TICKET) == 1
    # No callback URL configured for this partner: nothing can be queued for it.
    assert await _outbound(gateway) == []

    ticket = await gateway.db.read(lambda c: repo.ticket_by_tracking_id(c, tid))
    assert ticket["channel"] == "partner"
    assert ticket["category_code"] == "sampah"


async def test_x_api_key_header_and_new_key_new_ticket(client, gateway):
    r1 = await client.post(URL, json=_body(idempotency_key="a"), headers={"X-API-Key": PARTNER_KEY})
    r2 = await client.post(URL, json=_body(idempotency_key="b"), headers={"X-API-Key": PARTNER_KEY})
    assert r1.status_code == r2.status_code == 201
    # A partner report never threads into the reporter's earlier ticket.
    assert r1.json()["tracking_id"] != r2.json()["tracking_id"]
    assert await _count(gateway, repo.T_TICKET) == 2


async def test_idempotency_key_header(client):
    body = _body()
    del body["idempotency_key"]
    r1 = await client.post(URL, json=body, headers={**AUTH, "Idempotency-Key": "hdr-1"})
    r2 = await client.post(URL, json=body, headers={**AUTH, "Idempotency-Key": "hdr-1"})
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r1.json()["tracking_id"] == r2.json()["tracking_id"]


# --- refusals -----------------------------------------------------------------

BAD_KEYS = {
    "missing": {},
    "wrong-bearer": {"Authorization": "Bearer wrong-key"},
    "empty-bearer": {"Authorization": "Bearer "},
    "basic": {"Authorization": f"Basic {PARTNER_KEY}"},
    "unknown-x-api-key": {"X-API-Key": "unknown-key"},
    "truncated": {"X-API-Key": PARTNER_KEY[:-1]},
    "key-as-query-only": {},
}


async def test_bad_api_key_is_401(client, gateway):
    problems = []
    for name, headers in BAD_KEYS.items():
        r = await client.post(URL, json=_body(idempotency_key=name), headers=headers,
                              params={"api_key": PARTNER_KEY} if name == "key-as-query-only" else None)
        if r.status_code != 401 or "API key" not in r.json().get("detail", ""):
            problems.append((name, r.status_code, r.text))
    assert problems == []
    assert await _count(gateway, repo.T_TICKET) == 0


def _with(**kw: Any) -> dict[str, Any]:
    body = _body()
    for k, v in kw.items():
        if v is _DROP:
            body.pop(k)
        else:
            body[k] = v
    return body


_DROP = object()

BAD_JSON_BODIES = [
    ("not-json", b"{not json", "JSON"),
    ("truncated", b'{"text": "x", ', "JSON"),
    ("array", json.dumps([_body()]).encode(), "object"),
    ("string", b'"hello"', "object"),
    ("invalid-utf8", b'{"text": "\xff\xfe"}', "JSON"),
    ("no-reporter", json.dumps(_with(reporter_id=_DROP)).encode(), "reporter_id"),
    ("blank-reporter", json.dumps(_with(reporter_id="  ")).encode(), "reporter_id"),
    ("reporter-object", json.dumps(_with(reporter_id={"a": 1})).encode(), "reporter_id"),
    ("no-idempotency-key", json.dumps(_with(idempotency_key=_DROP)).encode(), "idempotency_key"),
    ("long-idempotency-key", json.dumps(_with(idempotency_key="k" * 129)).encode(), "idempotency_key"),
    ("lat-high", json.dumps(_with(latitude=91, longitude=106.8)).encode(), "latitude"),
    ("lat-low", json.dumps(_with(latitude=-90.5, longitude=106.8)).encode(), "latitude"),
    ("lon-high", json.dumps(_with(latitude=-6.2, longitude=181)).encode(), "longitude"),
    ("lat-text", json.dumps(_with(latitude="utara", longitude=106.8)).encode(), "latitude"),
    ("lat-nan", b'{"text": "x", "reporter_id": "u", "idempotency_key": "k", "latitude": NaN, "longitude": 1}', "latitude"),
    ("lat-only", json.dumps(_with(latitude=-6.2)).encode(), "latitude"),
    ("text-too-long", json.dumps(_with(text="a" * 4001)).encode(), "4000"),
    ("text-not-string", json.dumps(_with(text=["a"])).encode(), "text"),
    ("empty-report", json.dumps(_with(text="   ")).encode(), "text or a photo"),
    ("photo-url-scheme", json.dumps(_with(photo_url="file:///etc/passwd")).encode(), "photo_url"),
]


async def test_invalid_json_reports_are_400(client, gateway):
    problems = []
    for name, body, needle in BAD_JSON_BODIES:
        r = await client.post(URL, content=body, headers={**AUTH, "Content-Type": "application/json"})
        if r.status_code >= 500:
            problems.append((name, "server error", r.status_code, r.text))
        elif r.status_code != 400 or needle not in r.json().get("detail", ""):
            problems.append((name, r.status_code, r.text))
    assert problems == []
    assert await _count(gateway, repo.T_TICKET) == 0


async def test_text_at_the_limit_is_accepted(client):
    r = await client.post(URL, json=_with(text="sampah " + "a" * 3993), headers=AUTH)
    assert r.status_code == 201, r.text


async def test_wrong_content_type_is_415(client, gateway):
    for ctype in ("text/plain", "application/xml", "application/x-www-form-urlencoded"):
        r = await client.post(URL, content=json.dumps(_body()).encode(), headers={**AUTH, "Content-Type": ctype})
        assert r.status_code < 500
        assert r.status_code == 415, (ctype, r.text)
        assert r.json()["detail"]
    assert await _count(gateway, repo.T_TICKET) == 0


async def test_body_over_upload_limit_is_413(client, gateway):
    limit = gateway.config.http.max_upload_bytes
    body = b'{"text": "' + b"a" * (limit + 1) + b'"}'
    r = await client.post(URL, content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code < 500
    assert r.status_code == 413
    assert str(limit) in r.json()["detail"]
    assert await _count(gateway, repo.T_TICKET) == 0


async def test_chunked_body_over_upload_limit_is_413(client, gateway):
    limit = gateway.config.http.max_upload_bytes
    chunk = b"a" * 65536
    sent = 0

    async def stream() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"text": "'
        while sent <= limit:
            sent += len(chunk)
            yield chunk
        yield b'"}'

    r = await client.post(URL, content=stream(), headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code < 500, r.text
    assert r.status_code == 413
    assert await _count(gateway, repo.T_TICKET) == 0


async def test_invalid_content_length_is_400(gateway):
    # httpx would fix a wrong Content-Length; drive the ASGI app directly.
    app = create_app(gateway)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": URL, "raw_path": URL.encode(), "query_string": b"",
             "headers": [(b"content-length", b"abc"), (b"authorization", f"Bearer {PARTNER_KEY}".encode())],
             "http_version": "1.1", "scheme": "http", "server": ("aduan.test", 80), "client": ("127.0.0.1", 1),
             "root_path": ""}
    await app(scope, receive, send)
    assert sent[0]["status"] == 400


# --- photos ---------------------------------------------------------------------

async def test_multipart_jpeg_is_stored_as_citizen_attachment(client, gateway):
    jpeg = _jpeg()
    r = await client.post(URL, headers=AUTH,
                          data={"text": REPORT_TEXT, "reporter_id": "u-photo", "idempotency_key": "mp-1",
                                "latitude": "-6.2615", "longitude": "106.8106"},
                          files={"photo": ("jalan.jpg", jpeg, "image/jpeg")})
    assert r.status_code == 201, r.text
    tid = r.json()["tracking_id"]
    (att,) = await _attachments(gateway, tid)
    sha = hashlib.sha256(jpeg).hexdigest()
    assert att["sha256"] == sha
    assert att["kind"] == "citizen"
    assert att["content_type"] == "image/jpeg"
    assert att["size"] == len(jpeg)
    path = Path(gateway.config.media.dir) / sha[:2] / f"{sha}.jpg"
    assert path.read_bytes() == jpeg
    ticket = await gateway.db.read(lambda c: repo.ticket_by_tracking_id(c, tid))
    assert (ticket["latitude"], ticket["longitude"]) == (-6.2615, 106.8106)


async def test_multipart_photo_only_is_a_report(client, gateway):
    jpeg = _jpeg()
    r = await client.post(URL, headers=AUTH, data={"reporter_id": "u-photo2", "idempotency_key": "mp-2"},
                          files={"photo": ("x.jpg", jpeg, "image/jpeg")})
    assert r.status_code == 201, r.text
    assert len(await _attachments(gateway, r.json()["tracking_id"])) == 1


async def test_fake_jpeg_is_not_stored_but_report_is_created(client, gateway):
    fake = b"<html><script>alert(1)</script></html>" * 10
    r = await client.post(URL, headers=AUTH,
                          data={"text": REPORT_TEXT, "reporter_id": "u-fake", "idempotency_key": "mp-fake"},
                          files={"photo": ("evil.jpg", fake, "image/jpeg")})
    assert r.status_code == 201, r.text
    tid = r.json()["tracking_id"]
    assert await _attachments(gateway, tid) == []
    assert await _count(gateway, repo.T_ATTACHMENT) == 0
    media = Path(gateway.config.media.dir)
    assert not media.exists() or [p for p in media.rglob("*") if p.is_file()] == []


async def test_photo_url_is_downloaded_and_stored(client, gateway):
    jpeg = _jpeg()
    async with FakeAPI() as api:
        api.expect("GET", "/photos/p1.jpg", body=jpeg, headers={"content-type": "image/jpeg"})
        r = await client.post(URL, json=_body(photo_url=f"{api.base_url}/photos/p1.jpg"), headers=AUTH)
        api.verify()
    assert r.status_code == 201, r.text
    (att,) = await _attachments(gateway, r.json()["tracking_id"])
    sha = hashlib.sha256(jpeg).hexdigest()
    assert att["sha256"] == sha and att["kind"] == "citizen"
    assert (Path(gateway.config.media.dir) / sha[:2] / f"{sha}.jpg").read_bytes() == jpeg


async def test_photo_url_failing_is_400_and_creates_nothing(client, gateway):
    async with FakeAPI() as api:
        api.expect("GET", "/photos/gone.jpg", status=404, body=b"not found")
        r = await client.post(URL, json=_body(photo_url=f"{api.base_url}/photos/gone.jpg"), headers=AUTH)
        api.verify()
    assert r.status_code == 400
    assert "404" in r.json()["detail"]
    assert await _count(gateway, repo.T_TICKET) == 0


# --- the public view --------------------------------------------------------------

def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


async def test_public_view_hides_the_reporter(client, gateway, clock):
    reporter_id = "jaki-user-SECRET-7731"
    phone = "081234567890"
    text = f"{REPORT_TEXT}. Hubungi saya di {phone} atau budi@example.com"
    r = await client.post(URL, json=_body(text=text, reporter_id=reporter_id, idempotency_key="pv-1"), headers=AUTH)
    assert r.status_code == 201, r.text
    tid = r.json()["tracking_id"]
    clock.advance(hours=1)
    await gateway.db.write(lambda c: transition(c, gateway.policy, clock.now(), repo.ticket_by_tracking_id(c, tid),
                                                "PROSES", "staff:test", reason=f"petugas menelepon {phone}"))

    r = await client.get(f"/api/v1/tickets/{tid}")
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["tracking_id"] == tid
    assert view["status"] == "PROSES"
    assert view["status_label"] == "Proses"
    assert view["status_colour"] == "yellow"
    assert view["category"] == {"code": "sampah", "name": "Sampah"}
    assert view["agency"]["code"] == "DLH" and view["agency"]["name"] == "Dinas Lingkungan Hidup"
    assert [a["level"] for a in view["area"]] == ["kelurahan", "kecamatan", "kota"]
    assert view["area"][0]["name"].lower() == "bangka"
    assert view["area"][1]["name"].lower() == "mampang prapatan"
    assert [(e["kind"], e["status"]) for e in view["timeline"]] == [("created", "MENUNGGU"), ("status", "PROSES")]
    assert view["timeline"][1]["status_label"] == "Proses"
    assert view["url"] == f"http://aduan.test/t/{tid}"

    serialized = json.dumps(view)
    assert reporter_id not in serialized
    assert f"jaki:{reporter_id}" not in serialized
    assert phone not in serialized and "1234567890" not in serialized
    assert "budi@example.com" not in serialized
    assert "[disamarkan]" in view["description"]
    assert "Sampah menumpuk" in view["description"]
    assert not [k for k in _keys(view) if "reporter" in k.lower() or "phone" in k.lower() or "sender" in k.lower()]

    # Any accepted spelling of the ID finds it; English labels on request.
    r = await client.get(f"/api/v1/tickets/{tid.lower().replace('-', '')}", params={"lang": "en"})
    assert r.status_code == 200
    assert r.json()["status_label"] == "In progress" and r.json()["category"]["name"] == "Garbage"


async def test_public_view_unknown_and_invalid_ids(client):
    unknown = new_tracking_id()
    r = await client.get(f"/api/v1/tickets/{unknown}")
    assert r.status_code == 404
    assert r.json()["detail"]

    i = len(unknown) - 1
    typo = unknown[:i] + ALPHABET[(ALPHABET.index(unknown[i]) + 1) % len(ALPHABET)]
    r = await client.get(f"/api/v1/tickets/{typo}")
    assert r.status_code == 404
    assert "check" in r.json()["detail"].lower()

    r = await client.get("/api/v1/tickets/not-an-id")
    assert r.status_code == 404


# --- partner callbacks ------------------------------------------------------------

def _verify_signature(req, secret: str) -> None:
    ts = req.headers["x-aduan-timestamp"]
    assert ts.isdigit()
    expected = "sha256=" + hmac.new(secret.encode(), f"{ts}.".encode() + req.body, hashlib.sha256).hexdigest()
    assert req.headers["x-aduan-signature"] == expected
    # A tampered body would not verify.
    assert req.headers["x-aduan-signature"] != "sha256=" + hmac.new(
        secret.encode(), f"{ts}.".encode() + req.body + b" ", hashlib.sha256).hexdigest()


@pytest.fixture
async def api() -> AsyncIterator[FakeAPI]:
    async with FakeAPI() as fake:
        yield fake


@pytest.fixture
async def cb_gateway(tmp_path, database_url, clock, api) -> AsyncIterator[Gateway]:
    cfg = make_config(tmp_path, database_url, channels={"partner": {"partners": [
        {"name": "jaki", "api_key": PARTNER_KEY, "callback_url": api.base_url + "/cb", "callback_secret": "s3cret"},
    ]}})
    gw = Gateway(cfg, clock=clock, database_url=database_url,
                 adapters=[(PartnerAdapter(cfg.channels.partner, allow_private_hosts=True), [])])
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    try:
        yield gw
    finally:
        await gw.stop()


@pytest.fixture
async def cb_client(cb_gateway) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(cb_gateway))
    async with httpx.AsyncClient(transport=transport, base_url="http://aduan.test") as c:
        yield c


async def test_callbacks_are_signed_and_follow_status_changes(cb_gateway, cb_client, api, clock):
    api.expect("POST", "/cb", status=200, times=None)
    r = await cb_client.post(URL, json=_body(reporter_id="cb-user"), headers=AUTH)
    assert r.status_code == 201, r.text
    tid = r.json()["tracking_id"]
    again = await cb_client.post(URL, json=_body(reporter_id="cb-user"), headers=AUTH)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    queued = await _outbound(cb_gateway)
    assert len(queued) == 1  # one acknowledgement, not one per request
    assert queued[0]["recipient"] == "jaki:cb-user"

    assert await cb_gateway.dispatcher.run_once() == 1
    (first,) = api.matching("POST", "/cb")
    _verify_signature(first, "s3cret")
    body = first.json
    assert body["tracking_id"] == tid
    assert body["reporter_id"] == "cb-user"
    assert body["status"] == "MENUNGGU"
    assert body["event"] == "ack"
    assert body["delivery_id"] == queued[0]["id"]
    assert first.headers["x-aduan-delivery"] == str(queued[0]["id"])
    assert first.headers["content-type"].startswith("application/json")

    clock.advance(hours=1)
    await cb_gateway.db.write(lambda c: transition(c, cb_gateway.policy, clock.now(),
                                                   repo.ticket_by_tracking_id(c, tid), "PROSES", "staff:test"))
    assert await cb_gateway.dispatcher.run_once() == 1
    calls = api.matching("POST", "/cb")
    assert len(calls) == 2
    second = calls[1]
    _verify_signature(second, "s3cret")
    assert second.json["status"] == "PROSES"
    assert second.json["event"] == "status"
    assert second.json["tracking_id"] == tid
    assert second.json["delivery_id"] != body["delivery_id"]
    assert all(m["status"] == "sent" for m in await _outbound(cb_gateway))
    api.verify()


async def test_callback_503_is_retried(cb_gateway, cb_client, api, clock):
    api.expect("POST", "/cb", status=503, body={"error": "busy"}, times=1)
    api.expect("POST", "/cb", status=200, times=None)
    r = await cb_client.post(URL, json=_body(reporter_id="cb-retry"), headers=AUTH)
    assert r.status_code == 201

    assert await cb_gateway.dispatcher.run_once() == 1
    (msg,) = await _outbound(cb_gateway)
    assert msg["status"] == "queued"
    assert msg["attempts"] == 1
    assert "503" in (msg["error"] or "")
    assert msg["next_attempt_at"] > clock.now()

    # Not yet due: nothing is sent.
    assert await cb_gateway.dispatcher.run_once() == 0
    assert len(api.matching("POST", "/cb")) == 1

    clock.set(msg["next_attempt_at"])
    assert await cb_gateway.dispatcher.run_once() == 1
    (msg,) = await _outbound(cb_gateway)
    assert msg["status"] == "sent"
    calls = api.matching("POST", "/cb")
    assert len(calls) == 2
    for call in calls:
        _verify_signature(call, "s3cret")
    assert calls[0].json["delivery_id"] == calls[1].json["delivery_id"] == msg["id"]
    # A retry repeats the event id, so a receiver that got the first attempt drops the second.
    assert calls[0].headers["x-aduan-event-id"] == calls[1].headers["x-aduan-event-id"] == f"evt-{msg['id']}"
    assert calls[0].json["event_id"] == f"evt-{msg['id']}"
    api.verify()
