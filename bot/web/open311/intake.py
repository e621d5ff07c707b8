"""POST requests: a partner's form (named by ``api_key``) validated and run
through the same intake pipeline as every channel, on channel ``partner``."""
from __future__ import annotations

import hmac
import logging
import re
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Connection

from adapters.errors import WebhookRejected
from bot.models import InboundMessage
from bot.ports import partner_reports
from bot.sla import deadlines
from bot.web.open311.filters import check_jurisdiction
from bot.web.open311.formats import Open311Error, answer
from bot.web.open311.records import ATTRIBUTES
from bot.web.security import clean_text
from bot.web.state import WebState, get_state
from store import repo

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 4000
_ATTR_CODES = {a["code"] for a in ATTRIBUTES}
_ATTR_KEY = re.compile(r"^attribute\[([A-Za-z0-9_\-]{1,50})\](\[\])?$")


def _partner_for_key(web: WebState, key: Any) -> Any:  # the partner channel's PartnerConfig, or None
    if not isinstance(key, str) or not key:
        return None
    found = None
    for p in web.config.channels.partner.partners:
        secret = p.api_key.get_secret_value()
        if secret and hmac.compare_digest(secret.encode(), key.encode()):
            found = p
    return found


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
    fields, attributes = await _read_form(request, fmt)
    partner = _partner_for_key(web, fields.get("api_key") or request.query_params.get("api_key"))
    if partner is None:
        raise Open311Error(403, "missing or invalid api_key -- cannot create the service request")
    check_jurisdiction(web, fields)
    code = fields.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code is required; see services." + fmt)
    category = next((c for c in web.config.categories if c.code == code), None)
    if category is None:
        raise Open311Error(404, f"service_code {code[:60]!r} was not found")
    lat, lon = _coordinates(fields)
    address = fields.get("address_string", "").strip()
    address_id = fields.get("address_id", "").strip()
    if lat is None and not address and not address_id:
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    if len(address) > 500 or len(address_id) > 100:
        raise Open311Error(400, "address_string is limited to 500 and address_id to 100 characters")
    _check_lengths(fields)
    email = fields.get("email", "").strip()
    if email and not re.fullmatch(r"[^@\s]{1,64}@[^@\s]{1,255}", email):
        raise Open311Error(400, "email is not a valid address")
    media_url = fields.get("media_url", "").strip()
    if media_url and (urlsplit(media_url).scheme not in ("http", "https") or len(media_url) > 2000):
        raise Open311Error(400, "media_url must be an http(s) URL")

    who = email.lower() or fields.get("device_id", "").strip() or fields.get("account_id", "").strip() \
        or f"open311-anon-{secrets.token_hex(8)}"
    parts = [fields.get("description", "").strip() or category.name_id]
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
    outcome = await _submit(web, msg, media_url)
    if not outcome.duplicate:
        await web.gateway.db.write(_apply_service, web, outcome.tracking_id, code, f"open311:{partner.name}",
                                   web.gateway.clock.now())
    notice = web.catalogue.text("o311_notice", "id", url=f"{web.base_url}/t/{outcome.tracking_id}")
    body = [{"service_request_id": outcome.tracking_id, "service_notice": notice,
             "account_id": fields.get("account_id") or None}]
    return answer(fmt, "service_requests", "request", body, status=200 if outcome.duplicate else 201)


async def _read_form(request: Request, fmt: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The form's plain fields and its ``attribute[code]`` values; anything malformed is a 400."""
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
    return fields, attributes


def _coordinates(fields: dict[str, str]) -> tuple[float | None, float | None]:
    lat_raw, lon_raw = fields.get("lat", "").strip(), fields.get("long", "").strip()
    if not (lat_raw or lon_raw):
        return None, None
    try:
        lat, lon = float(lat_raw), float(lon_raw)
    except ValueError:
        raise Open311Error(400, "lat and long must both be given as decimal degrees (WGS84)") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Open311Error(400, "lat must be between -90 and 90 and long between -180 and 180")
    return lat, lon


_LIMITS = {"email": 254, "device_id": 128, "account_id": 128, "first_name": 100, "last_name": 100, "phone": 30}


def _check_lengths(fields: dict[str, str]) -> None:
    if len(fields.get("description", "")) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description is limited to {MAX_DESCRIPTION} characters")
    for name, limit in _LIMITS.items():
        if len(fields.get(name, "")) > limit:
            raise Open311Error(400, f"{name} is limited to {limit} characters")


async def _submit(web: WebState, msg: InboundMessage, media_url: str) -> Any:
    """Fetch the photo at ``media_url`` (through the partner adapter's guarded fetch) and submit the request."""
    gw = web.gateway
    if media_url:
        try:
            adapter = partner_reports(gw)
            msg.attachments.append(await adapter.fetch_photo(media_url, "media_url"))
        except WebhookRejected as exc:
            raise Open311Error(400, exc.reason) from None
        except KeyError:
            raise Open311Error(400, "media_url is not supported on this server") from None
    try:
        (outcome,) = await gw.intake.submit([msg])
    except Exception:  # noqa: BLE001
        log.exception("open311 request could not be stored")
        raise Open311Error(400, "the service request could not be stored now; retry later", code=503) from None
    if outcome.tracking_id is None:
        raise Open311Error(400, "the service request could not be processed; retry later", code=503)
    return outcome
