"""Open311 GeoReport v2 under /open311/v2 (https://wiki.open311.org/GeoReport_v2).

Every method in both formats the spec requires: ``.json`` and ``.xml``.
Categories are the services; a CRM ticket is a service request whose
``service_request_id`` is its tracking ID; SELESAI and DITOLAK are
``closed``, everything else ``open``. POST runs the same intake pipeline as
every channel, as the partner named by ``api_key`` (channel ``partner``), so
partner callbacks deliver later updates. Errors are the spec's list of
``{code, description}`` with HTTP 400, 403 (api_key) or 404. Never any
reporter's identity in an answer.
"""
from __future__ import annotations

import hmac
import logging
import re
import secrets
import xml.etree.ElementTree as ET
from datetime import datetime, time, timedelta
from typing import Any, Callable, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection, bindparam, select

from adapters.errors import WebhookRejected
from bot.config import PartnerConfig
from bot.lifecycle import CLOSED_STATUSES
from bot.models import InboundMessage
from bot.public import redact
from bot.sla import deadlines
from bot.tracking import normalize
from bot.web.security import clean_text
from bot.web.state import WebState, get_state
from store import repo

log = logging.getLogger(__name__)
router = APIRouter(prefix="/open311/v2", tags=["open311"])

SPEC = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ("json", "xml")
MAX_DESCRIPTION = 4000
MAX_RESULTS = 1000
DEFAULT_DAYS = 90
CLOSED = sorted(s.value for s in CLOSED_STATUSES)
# One optional attribute for every service: a landmark helps the kelurahan find the spot.
ATTRIBUTES = [{"variable": True, "code": "patokan", "datatype": "string", "required": False,
               "datatype_description": "Teks bebas / free text, max. 300",
               "order": 1, "description": "Patokan lokasi (landmark), mis. depan masjid / e.g. opposite the mosque",
               "values": []}]
_ATTR_CODES = {a["code"] for a in ATTRIBUTES}
_ATTR_KEY = re.compile(r"^attribute\[([A-Za-z0-9_\-]{1,50})\](\[\])?$")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PLURALS = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}


# --- response models (the OpenAPI description; the JSON bodies match them) ----------

class O311Error(BaseModel):
    code: int
    description: str


class O311Service(BaseModel):
    service_code: str
    service_name: str
    description: str | None
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str | None
    group: str | None


class O311Value(BaseModel):
    key: str
    name: str


class O311Attribute(BaseModel):
    variable: bool
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[O311Value]


class O311ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[O311Attribute]


class O311Request(BaseModel):
    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str | None
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str = Field(json_schema_extra={"format": "date-time"})
    updated_datetime: str = Field(json_schema_extra={"format": "date-time"})
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class O311Created(BaseModel):
    service_request_id: str
    service_notice: str | None
    account_id: str | None


class O311Token(BaseModel):
    service_request_id: str
    token: str


class O311Endpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: Literal["production", "test"]
    formats: list[str]


class O311Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[O311Endpoint]


# --- formats ---------------------------------------------------------------------------

class XMLResponse(Response):
    media_type = "text/xml; charset=utf-8"


class Open311Error(Exception):
    def __init__(self, status: int, description: str, code: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.code = code or status


def _xml_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_BAD.sub("", str(value))


def _xml_fill(parent: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        el = ET.SubElement(parent, key)
        if isinstance(value, list):
            child_tag = _PLURALS.get(key, "item")
            for item in value:
                child = ET.SubElement(el, child_tag)
                if isinstance(item, dict):
                    _xml_fill(child, item)
                else:
                    child.text = _xml_text(item)
        elif isinstance(value, dict):
            _xml_fill(el, value)
        else:
            el.text = _xml_text(value)


def to_xml(root: str, item: str | None, data: Any) -> bytes:
    """The spec's schemaless XML: a root holding one element per item (or one document)."""
    top = ET.Element(root)
    if item is None:
        _xml_fill(top, data)
    else:
        for row in data:
            _xml_fill(ET.SubElement(top, item), row)
    body = ET.tostring(top, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def answer(fmt: str, root: str, item: str | None, data: Any, status: int = 200) -> Response:
    if fmt == "xml":
        return XMLResponse(to_xml(root, item, data), status_code=status)
    return JSONResponse(data, status_code=status, media_type="application/json; charset=utf-8")


def error_answer(fmt: str, status: int, *errors: tuple[int, str]) -> Response:
    rows = [{"code": code, "description": desc} for code, desc in errors]
    return answer(fmt, "errors", "error", rows, status)


# --- helpers -------------------------------------------------------------------------------

def w3(value: datetime | None, web: WebState) -> str | None:
    """W3C/ISO-8601 with the instance's UTC offset, e.g. 2026-03-02T08:00:00+07:00."""
    return value.astimezone(web.tz).isoformat(timespec="seconds") if value is not None else None


def parse_w3(value: str, name: str, web: WebState) -> datetime:
    text = value.strip()
    if not text or len(text) > 40:
        raise Open311Error(400, f"{name} must be a W3C date-time such as 2026-01-31T00:00:00+07:00")
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.combine(datetime.fromisoformat(text).date(), time(0), tzinfo=web.tz)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(400, f"{name} is not a valid W3C date-time (e.g. 2026-01-31T00:00:00Z): {text[:40]!r}") from None
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{name} must include a time zone (Z or +07:00)")
    return parsed


def _list_param(value: str | None, name: str, max_items: int = 1000) -> list[str]:
    if value is None or value.strip() == "":
        return []
    items = [v.strip() for v in value.split(",")]
    if any(not v for v in items) or len(items) > max_items:
        raise Open311Error(400, f"{name} must be a comma-separated list of at most {max_items} values")
    return items


def _int_param(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value is None or value.strip() == "":
        return default
    if not re.fullmatch(r"\d{1,7}", value.strip()):
        raise Open311Error(400, f"{name} must be a whole number between {low} and {high}")
    n = int(value)
    if not low <= n <= high:
        raise Open311Error(400, f"{name} must be between {low} and {high}")
    return n


def _check_jurisdiction(web: WebState, params: Any) -> None:
    jid = params.get("jurisdiction_id")
    if jid not in (None, "") and jid != web.config.web.open311_jurisdiction_id:
        raise Open311Error(404, f"jurisdiction_id {str(jid)[:60]!r} was not found; this endpoint serves "
                                f"{web.config.web.open311_jurisdiction_id}")


def _partner_for_key(web: WebState, key: Any) -> PartnerConfig | None:
    if not isinstance(key, str) or not key:
        return None
    found = None
    for p in web.config.channels.partner.partners:
        secret = p.api_key.get_secret_value()
        if secret and hmac.compare_digest(secret.encode(), key.encode()):
            found = p
    return found


def _services(web: WebState) -> list[dict[str, Any]]:
    agencies = {a.code: a.name for a in web.config.agencies}
    out = []
    for c in web.config.categories:
        out.append({
            "service_code": c.code,
            "service_name": c.name_id,
            "description": f"{c.name_id} / {c.name_en}",
            "metadata": True,
            "type": "realtime",
            "keywords": ", ".join(c.keywords[:12]) or None,
            "group": agencies.get(c.agency or "", None),
        })
    return out


# --- reading service requests -----------------------------------------------------------------

def _records(conn: Connection, rows: list[Any], web: WebState) -> list[dict[str, Any]]:
    """Open311 records for ticket rows, with four batched queries (no N+1)."""
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    E, AT = repo.T_EVENT, repo.T_ATTACHMENT
    latest: dict[int, Any] = {}
    for ev in conn.execute(select(E.c.ticket_id, E.c.to_status, E.c.reason, E.c.kind)
                           .where(E.c.ticket_id.in_(bindparam("ids", expanding=True)), E.c.public.is_(True))
                           .order_by(E.c.ticket_id, E.c.created_at, E.c.id), {"ids": ids}).mappings():
        latest[ev["ticket_id"]] = ev
    proofs: dict[int, str] = {}
    for tid, sha in conn.execute(select(AT.c.ticket_id, AT.c.sha256)
                                 .where(AT.c.ticket_id.in_(bindparam("ids", expanding=True)), AT.c.kind == "proof")
                                 .order_by(AT.c.id), {"ids": ids}):
        proofs[tid] = sha
    cats = {r["code"]: r for r in conn.execute(select(repo.T_CATEGORY)).mappings()}
    agencies = dict(conn.execute(select(repo.T_AGENCY.c.code, repo.T_AGENCY.c.name)).all())
    areas = {r["code"]: r for r in conn.execute(select(repo.T_AREA.c.code, repo.T_AREA.c.name, repo.T_AREA.c.level,
                                                       repo.T_AREA.c.parent_code, repo.T_AREA.c.postal_code)).mappings()}
    templates = web.gateway.templates
    out = []
    for r in rows:
        chain, code = [], r["area_code"]
        while code and code in areas and len(chain) < 4:
            chain.append(areas[code])
            code = areas[code]["parent_code"]
        address = ", ".join(("Kel. " if a["level"] == "kelurahan" else "Kec. " if a["level"] == "kecamatan" else "")
                            + a["name"] for a in chain) or None
        zipcode = next((a["postal_code"] for a in chain if a["postal_code"]), None)
        ev = latest.get(r["id"])
        label = templates.status_label(r["status"], "id")
        notes = label
        if ev is not None and ev["reason"]:
            notes = f"{label}: {redact(ev['reason'])}"
        cat = cats.get(r["category_code"])
        closed = r["status"] in CLOSED
        sha = proofs.get(r["id"])
        out.append({
            "service_request_id": r["tracking_id"],
            "status": "closed" if closed else "open",
            "status_notes": notes,
            "service_name": cat["name_id"] if cat else None,
            "service_code": r["category_code"],
            "description": redact(r["description"]) or None,
            "agency_responsible": agencies.get(r["agency_code"]) if r["agency_code"] else None,
            "service_notice": None,
            "requested_datetime": w3(r["created_at"], web),
            "updated_datetime": w3(r["closed_at"] if closed and r["closed_at"] else r["updated_at"], web),
            "expected_datetime": w3(r["resolve_due"], web),
            "address": address,
            "address_id": r["area_code"],
            "zipcode": zipcode,
            "lat": r["latitude"],
            "long": r["longitude"],
            "media_url": f"{web.base_url}/media/{sha}" if sha and r["status"] == "SELESAI" else None,
        })
    return out


_T = repo.T_TICKET
_COLUMNS = [_T.c.id, _T.c.tracking_id, _T.c.status, _T.c.category_code, _T.c.agency_code, _T.c.area_code,
            _T.c.description, _T.c.created_at, _T.c.updated_at, _T.c.closed_at, _T.c.resolve_due, _T.c.latitude,
            _T.c.longitude]


def query_requests(conn: Connection, web: WebState, *, ids: list[str] | None, codes: list[str], statuses: list[str],
                   start: datetime, end: datetime, page: int, page_size: int) -> list[dict[str, Any]]:
    q = select(*_COLUMNS)
    if ids is not None:
        q = q.where(_T.c.tracking_id.in_(ids))
    else:
        q = q.where(_T.c.created_at >= start, _T.c.created_at <= end)
        if codes:
            q = q.where(_T.c.category_code.in_(codes))
        if statuses == ["open"]:
            q = q.where(_T.c.status.not_in(CLOSED))
        elif statuses == ["closed"]:
            q = q.where(_T.c.status.in_(CLOSED))
    q = q.order_by(_T.c.created_at.desc(), _T.c.id.desc()).limit(page_size).offset((page - 1) * page_size)
    rows = list(conn.execute(q).mappings())
    return _records(conn, rows, web)


def one_request(conn: Connection, web: WebState, tracking_id: str) -> dict[str, Any] | None:
    rows = list(conn.execute(select(*_COLUMNS).where(_T.c.tracking_id == tracking_id)).mappings())
    recs = _records(conn, rows, web)
    return recs[0] if recs else None


# --- handlers ----------------------------------------------------------------------------------

async def discovery(request: Request, fmt: str) -> Response:
    web = get_state(request)
    changeset = w3(web.started.replace(microsecond=0), web) or ""
    data = {
        "changeset": changeset,
        "contact": web.config.web.open311_contact,
        "key_service": web.config.web.open311_key_service,
        "endpoints": [{"specification": SPEC, "url": f"{web.base_url}/open311/v2", "changeset": changeset,
                       "type": "production", "formats": ["text/xml", "application/json"]}],
    }
    return answer(fmt, "discovery", None, data)


async def services(request: Request, fmt: str) -> Response:
    web = get_state(request)
    _check_jurisdiction(web, request.query_params)
    return answer(fmt, "services", "service", _services(web))


async def service_definition(request: Request, fmt: str) -> Response:
    web = get_state(request)
    _check_jurisdiction(web, request.query_params)
    code = request.path_params.get("service_code", "")
    if code not in {c.code for c in web.config.categories}:
        raise Open311Error(404, f"service_code {code[:60]!r} was not found; see services.{fmt}")
    return answer(fmt, "service_definition", None, {"service_code": code, "attributes": ATTRIBUTES})


async def get_requests(request: Request, fmt: str) -> Response:
    web = get_state(request)
    params = request.query_params
    _check_jurisdiction(web, params)
    ids_raw = _list_param(params.get("service_request_id"), "service_request_id")
    ids = None
    if ids_raw:
        ids = []
        for raw in ids_raw:
            canonical = normalize(raw[:40], web.prefix)
            if canonical is None:
                raise Open311Error(400, f"service_request_id {raw[:40]!r} is not a valid tracking ID "
                                        f"(e.g. {web.prefix}-7K3M-QXP2; no O, I, L, 0 or 1)")
            ids.append(canonical)
    codes = _list_param(params.get("service_code"), "service_code")
    known = {c.code for c in web.config.categories}
    for code in codes:
        if code not in known:
            raise Open311Error(400, f"unknown service_code {code[:60]!r}")
    statuses = sorted(set(_list_param(params.get("status"), "status")))
    for s in statuses:
        if s not in ("open", "closed"):
            raise Open311Error(400, f"status must be open, closed or both (comma-separated), not {s[:20]!r}")
    if statuses == ["closed", "open"]:
        statuses = []
    now = web.now()
    start_raw, end_raw = params.get("start_date"), params.get("end_date")
    start = parse_w3(start_raw, "start_date", web) if start_raw else None
    end = parse_w3(end_raw, "end_date", web) if end_raw else None
    if start and end:
        if end < start:
            raise Open311Error(400, "end_date is before start_date")
        if end - start > timedelta(days=DEFAULT_DAYS):
            raise Open311Error(400, f"start_date to end_date may not span more than {DEFAULT_DAYS} days")
    elif start:
        end = start + timedelta(days=DEFAULT_DAYS)
    elif end:
        start = end - timedelta(days=DEFAULT_DAYS)
    else:
        end, start = now, now - timedelta(days=DEFAULT_DAYS)
    page = _int_param(params.get("page"), "page", 1, 1, 1_000_000)
    page_size = _int_param(params.get("page_size"), "page_size", MAX_RESULTS, 1, MAX_RESULTS)
    assert start is not None and end is not None
    rows = await web.gateway.db.read(lambda c: query_requests(c, web, ids=ids, codes=codes, statuses=statuses,
                                                              start=start, end=end, page=page, page_size=page_size))
    return answer(fmt, "service_requests", "request", rows)


async def get_request(request: Request, fmt: str) -> Response:
    web = get_state(request)
    _check_jurisdiction(web, request.query_params)
    raw = request.path_params.get("service_request_id", "")
    canonical = normalize(raw[:40], web.prefix)
    rec = await web.gateway.db.read(one_request, web, canonical) if canonical else None
    if rec is None:
        raise Open311Error(404, f"service_request_id {raw[:40]!r} was not found")
    return answer(fmt, "service_requests", "request", [rec])


async def get_token(request: Request, fmt: str) -> Response:
    """Requests are realtime here: a token is the service_request_id itself."""
    web = get_state(request)
    _check_jurisdiction(web, request.query_params)
    raw = request.path_params.get("token", "")
    canonical = normalize(raw[:40], web.prefix)
    row = await web.gateway.db.read(repo.ticket_by_tracking_id, canonical) if canonical else None
    if row is None:
        raise Open311Error(404, f"token {raw[:40]!r} was not found")
    return answer(fmt, "service_requests", "request", [{"service_request_id": canonical, "token": raw[:40]}])


def _apply_service(conn: Connection, web: WebState, tracking_id: str, code: str, actor: str, now: datetime) -> None:
    """Use the category the client chose (service_code) instead of the text classifier's guess."""
    ticket = repo.ticket_by_tracking_id(conn, tracking_id)
    if ticket is None or ticket["category_code"] == code:
        return
    cat = next(c for c in web.config.categories if c.code == code)
    sla = web.config.sla
    due = deadlines(ticket["created_at"], cat.coordinate_hours or sla.coordinate_hours, cat.resolve_hours or sla.resolve_hours)
    repo.update_ticket(conn, ticket["id"], category_code=code, agency_code=cat.agency, coordinate_due=due.coordinate_due,
                       resolve_due=due.resolve_due, updated_at=now)
    repo.add_event(conn, ticket["id"], "category", actor, now,
                   data={"from": ticket["category_code"], "to": code, "source": "open311 service_code"})


async def post_request(request: Request, fmt: str) -> Response:
    web = get_state(request)
    ctype = (request.headers.get("content-type") or "").lower()
    if not (ctype.startswith("application/x-www-form-urlencoded") or ctype.startswith("multipart/form-data")):
        raise Open311Error(400, "send the request as application/x-www-form-urlencoded")
    try:
        form = await request.form(max_files=0, max_fields=100, max_part_size=64 * 1024)
    except Exception:  # noqa: BLE001
        raise Open311Error(400, "the request body is not a valid form") from None
    fields: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            raise Open311Error(400, "file uploads are not accepted here; use media_url")
        value = clean_text(value)
        m = _ATTR_KEY.match(key)
        if m:
            if m.group(1) not in _ATTR_CODES:
                raise Open311Error(400, f"unknown attribute {m.group(1)!r}; see services/{{service_code}}.{fmt}")
            if len(value) > 300:
                raise Open311Error(400, f"attribute[{m.group(1)}] is longer than 300 characters")
            attributes.setdefault(m.group(1), []).append(value)
        elif key.startswith("attribute"):
            raise Open311Error(400, f"malformed attribute parameter {key[:60]!r}; use attribute[code]=value")
        else:
            fields[key] = value
    partner = _partner_for_key(web, fields.get("api_key") or request.query_params.get("api_key"))
    if partner is None:
        raise Open311Error(403, "missing or invalid api_key -- cannot create the service request")
    _check_jurisdiction(web, fields)
    code = fields.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code is required; see services." + fmt)
    category = next((c for c in web.config.categories if c.code == code), None)
    if category is None:
        raise Open311Error(404, f"service_code {code[:60]!r} was not found")
    lat_raw, lon_raw = fields.get("lat", "").strip(), fields.get("long", "").strip()
    lat = lon = None
    if lat_raw or lon_raw:
        try:
            lat, lon = float(lat_raw), float(lon_raw)
        except ValueError:
            raise Open311Error(400, "lat and long must both be given as decimal degrees (WGS84)") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise Open311Error(400, "lat must be between -90 and 90 and long between -180 and 180")
    address = fields.get("address_string", "").strip()
    address_id = fields.get("address_id", "").strip()
    if lat is None and not address and not address_id:
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    if len(address) > 500 or len(address_id) > 100:
        raise Open311Error(400, "address_string is limited to 500 and address_id to 100 characters")
    description = fields.get("description", "")
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description is limited to {MAX_DESCRIPTION} characters")
    limits = {"email": 254, "device_id": 128, "account_id": 128, "first_name": 100, "last_name": 100, "phone": 30}
    for name, limit in limits.items():
        if len(fields.get(name, "")) > limit:
            raise Open311Error(400, f"{name} is limited to {limit} characters")
    email = fields.get("email", "").strip()
    if email and not re.fullmatch(r"[^@\s]{1,64}@[^@\s]{1,255}", email):
        raise Open311Error(400, "email is not a valid address")
    media_url = fields.get("media_url", "").strip()
    if media_url and (urlsplit(media_url).scheme not in ("http", "https") or len(media_url) > 2000):
        raise Open311Error(400, "media_url must be an http(s) URL")

    who = email.lower() or fields.get("device_id", "").strip() or fields.get("account_id", "").strip() \
        or f"open311-anon-{secrets.token_hex(8)}"
    parts = [description.strip() or category.name_id]
    where = "; ".join(p for p in (address, f"Patokan: {'; '.join(attributes['patokan'])}" if attributes.get("patokan") else "")
                      if p)
    if where:
        parts.append(f"Lokasi: {where}")
    name = " ".join(p for p in (fields.get("first_name", "").strip(), fields.get("last_name", "").strip()) if p) or None
    key = request.headers.get("idempotency-key")
    if key is not None and not (0 < len(key) <= 128):
        raise Open311Error(400, "Idempotency-Key must be 1 to 128 characters")
    msg = InboundMessage(
        channel="partner", external_id=f"{partner.name}:open311:{key or secrets.token_hex(16)}",
        sender=f"{partner.name}:{who}", sender_name=name, text="\n\n".join(parts), latitude=lat, longitude=lon,
        standalone=True,
        reply_context={"partner": partner.name, "reporter_id": who, "open311": True,
                       "service_code": code, "attributes": attributes, "address_id": address_id or None,
                       "account_id": fields.get("account_id") or None},
        raw="open311 POST requests",
    )
    gw = web.gateway
    if media_url:
        try:
            adapter = gw.adapter("partner")
            msg.attachments.append(await adapter.fetch_photo(media_url))
        except WebhookRejected as exc:
            raise Open311Error(400, f"media_url: {exc.reason}") from None
        except KeyError:
            raise Open311Error(400, "media_url is not supported on this server") from None
    try:
        (outcome,) = await gw.intake.submit([msg])
    except Exception:  # noqa: BLE001
        log.exception("open311 request could not be stored")
        raise Open311Error(400, "the service request could not be stored now; retry later", code=503) from None
    if outcome.tracking_id is None:
        raise Open311Error(400, "the service request could not be processed; retry later", code=503)
    if not outcome.duplicate:
        await gw.db.write(_apply_service, web, outcome.tracking_id, code, f"open311:{partner.name}", gw.clock.now())
    notice = web.catalogue.text("o311_notice", "id", url=f"{web.base_url}/t/{outcome.tracking_id}")
    body = [{"service_request_id": outcome.tracking_id, "service_notice": notice,
             "account_id": fields.get("account_id") or None}]
    return answer(fmt, "service_requests", "request", body, status=200 if outcome.duplicate else 201)


# --- routes and their OpenAPI description --------------------------------------------------------

def _param(name: str, where: str, desc: str, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": desc,
            "schema": {"type": "string", **schema}}


_JURISDICTION = _param("jurisdiction_id", "query", "Optional: this endpoint serves one jurisdiction")
_ERRORS = {"400": "Invalid request", "403": "Missing or invalid api_key", "404": "Not found"}
_XML_CONTENT = {"text/xml": {"schema": {"type": "string"}}}


def _endpoint(handler: Callable[..., Any], fmt: str) -> Callable[..., Any]:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, fmt)
        except Open311Error as exc:
            return error_answer(fmt, exc.status, (exc.code, exc.description))

    return endpoint


def _add(path: str, method: str, handler: Callable[..., Any], model: Any, summary: str,
         params: list[dict[str, Any]], errors: tuple[int, ...], body: dict[str, Any] | None = None,
         ok: tuple[int, ...] = (200,)) -> None:
    for fmt in FORMATS:
        endpoint = _endpoint(handler, fmt)

        responses: dict[int | str, Any] = {}
        for status in ok:
            desc = "Created" if status == 201 else "Repeated Idempotency-Key: the same request" if status == 200 and 201 in ok else "OK"
            responses[status] = ({"model": model, "description": desc} if fmt == "json"
                                 else {"description": desc, "content": _XML_CONTENT})
        for status in errors:
            responses[status] = ({"model": list[O311Error], "description": _ERRORS[str(status)]} if fmt == "json"
                                 else {"description": _ERRORS[str(status)], "content": _XML_CONTENT})
        extra: dict[str, Any] = {"parameters": params}
        if body is not None:
            extra["requestBody"] = body
        endpoint.__name__ = f"open311_{handler.__name__}_{fmt}"
        router.add_api_route(
            f"{path}.{fmt}", endpoint, methods=[method], summary=f"{summary} ({fmt.upper()})",
            operation_id=f"open311_{handler.__name__}_{fmt}", status_code=ok[0],
            response_class=XMLResponse if fmt == "xml" else JSONResponse, responses=responses, openapi_extra=extra)


_add("/discovery", "GET", discovery, O311Discovery, "Open311 service discovery", [], ())
_add("/services", "GET", services, list[O311Service], "Open311 services (complaint categories)", [_JURISDICTION], (404,))
_add("/services/{service_code}", "GET", service_definition, O311ServiceDefinition, "Open311 service definition",
     [_param("service_code", "path", "A service_code from services", True), _JURISDICTION], (404,))
_add("/requests", "POST", post_request, list[O311Created], "Open311 create a service request", [], (400, 403, 404),
     body={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
         "type": "object", "required": ["api_key", "service_code"], "properties": {
             "api_key": {"type": "string"}, "jurisdiction_id": {"type": "string"},
             "service_code": {"type": "string"}, "lat": {"type": "number", "minimum": -90, "maximum": 90},
             "long": {"type": "number", "minimum": -180, "maximum": 180},
             "address_string": {"type": "string", "maxLength": 500}, "address_id": {"type": "string"},
             "email": {"type": "string"}, "device_id": {"type": "string"}, "account_id": {"type": "string"},
             "first_name": {"type": "string"}, "last_name": {"type": "string"}, "phone": {"type": "string"},
             "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
             "media_url": {"type": "string", "format": "uri"},
             "attribute[patokan]": {"type": "string", "maxLength": 300}}}}}},
     ok=(201, 200))
_add("/requests", "GET", get_requests, list[O311Request], "Open311 service requests",
     [_param("service_request_id", "query", "Comma-separated tracking IDs; overrides the other filters"),
      _param("service_code", "query", "Comma-separated service codes"),
      _param("status", "query", "open, closed, or both comma-separated"),
      _param("start_date", "query", "W3C date-time, e.g. 2026-01-01T00:00:00Z (default: 90 days before end_date)",
             format="date-time"),
      _param("end_date", "query", "W3C date-time (default: now); at most 90 days after start_date", format="date-time"),
      {"name": "page", "in": "query", "required": False, "description": "Extension: page number from 1",
       "schema": {"type": "integer", "minimum": 1}},
      {"name": "page_size", "in": "query", "required": False,
       "description": f"Extension: results per page, at most {MAX_RESULTS}",
       "schema": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS}},
      _JURISDICTION], (400, 404))
_add("/requests/{service_request_id}", "GET", get_request, list[O311Request], "Open311 one service request",
     [_param("service_request_id", "path", "The tracking ID, e.g. JKT-7K3M-QXP2", True), _JURISDICTION], (404,))
_add("/tokens/{token}", "GET", get_token, list[O311Token], "Open311 service_request_id from a token",
     [_param("token", "path", "A token (here: the tracking ID; requests are realtime)", True), _JURISDICTION], (404,))
