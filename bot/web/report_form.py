"""The citizen web form ("Balai Warga"): /lapor.

A report with text, an optional photo, an optional location (browser
geolocation, a kelurahan picker, an address) and an optional contact for
updates. With an email address the report is filed on the ``email`` channel
(sender = the address), with a phone number on ``sms`` (sender = E.164), so
the existing adapters deliver every later update; without either it is filed
on ``web`` and the page shows the tracking link. The CSRF token's nonce is
the message's external id, so a double submit files one report.
"""
from __future__ import annotations

import logging
import math
import re
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot.media import sniff_image_type
from bot.models import InboundAttachment, InboundMessage
from bot.phones import sms_e164
from bot.tracking import normalize
from bot.web import queries
from bot.web.pages import HTML, _form, _redirect
from bot.web.security import BadToken, clean_text
from bot.web.state import WebState, get_state
from store import repo

log = logging.getLogger(__name__)
router = APIRouter(tags=["public pages"])

MAX_TEXT = 4000
MAX_ADDRESS = 300
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def normalize_phone(raw: str) -> str | None:
    """E.164 for a number that can get SMS (0812..., 62812..., +62 812..., +other mobiles), or None."""
    return sms_e164(raw)


def normalize_email(raw: str) -> str | None:
    value = raw.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        return None
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


CONTACT_CHANNELS = ("email", "sms")


def offered_contacts(registry: Any) -> tuple[str, ...]:
    """The update channels /lapor may offer: only those with an adapter that can send.

    Offering "Lewat SMS" without Twilio queued replies nobody could ever send (issue 9).
    """
    served = set(registry.channels())
    return tuple(c for c in CONTACT_CHANNELS if c in served)


def _contact(values: dict[str, str], registry: Any, t: Any, errors: dict[str, str]) -> tuple[str, str]:
    """(channel, sender) for the chosen update channel; a bad choice adds to ``errors``."""
    contact = values["contact"]
    if contact != "none" and contact not in offered_contacts(registry):
        errors["contact"] = t("form_err_contact")  # a stale or forged form: never queue an unsendable reply
    elif contact == "email":
        email = normalize_email(values["email"])
        if email is not None:
            return "email", email
        errors["email"] = t("form_err_email")
    elif contact == "sms":
        phone = normalize_phone(values["phone"])
        if phone is not None:
            return "sms", phone
        errors["phone"] = t("form_err_phone")
    return "web", f"web:{secrets.token_hex(12)}"


class _Errors(dict[str, str]):
    """Field errors; a field without one reads as "" in templates."""

    def __missing__(self, key: str) -> str:
        return ""


def _coordinate(value: Any, low: float, high: float) -> float | None | str:
    if value in (None, ""):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "bad"
    if not math.isfinite(v) or not low <= v <= high:
        return "bad"
    return v


async def _form_page(request: Request, web: WebState, lang: str, *, status: int = 200, errors: dict[str, str] | None = None,
                     values: dict[str, Any] | None = None, nonce: str | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    t = web.t(lang)
    pickers = await web.gateway.db.read(queries.kelurahan_options)
    values = {"description": "", "address": "", "kelurahan": "", "contact": "none", "email": "", "phone": "",
              "lat": "", "lon": "", **(values or {})}
    return web.render(request, "lapor.html", lang, status=status, title=t("form_title"),
                      csrf=web.csrf_token(request, "lapor", nonce=nonce), errors=_Errors(errors or {}), values=values,
                      pickers=pickers, max_text=MAX_TEXT, max_address=MAX_ADDRESS,
                      max_photo_mb=round(web.config.media.max_bytes / 1_048_576), headers=headers,
                      offered=offered_contacts(web.gateway.registry))


@router.get("/lapor", response_class=HTMLResponse, summary="Citizen report form (Balai Warga)")
async def report_form(request: Request) -> Response:
    web = get_state(request)
    return await _form_page(request, web, web.lang(request))


@router.post(
    "/lapor", response_class=HTMLResponse, summary="Submit a citizen report",
    responses={303: {"description": "Filed: to the confirmation page with the tracking ID"},
               400: {"description": "Invalid input (the form again, with reasons)", **HTML},
               403: {"description": "Forged or expired form token", **HTML},
               413: {"description": "Photo too large", **HTML},
               415: {"description": "Photo is not a JPEG, PNG or WebP image", **HTML},
               429: {"description": "Too many reports from this address", **HTML},
               503: {"description": "Temporarily unavailable", **HTML}},
    openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["description", "csrf"], "properties": {
            "csrf": {"type": "string"}, "description": {"type": "string", "maxLength": MAX_TEXT},
            "photo": {"type": "string", "format": "binary"}, "address": {"type": "string", "maxLength": MAX_ADDRESS},
            "kelurahan": {"type": "string"}, "lat": {"type": "string"}, "lon": {"type": "string"},
            "contact": {"type": "string", "enum": ["none", "email", "sms"]}, "email": {"type": "string"},
            "phone": {"type": "string"},
            "follow": {"type": "string", "description": "a tracking ID: follow that open report instead"}}}}}}},
)
async def report_submit(request: Request) -> Response:
    web = get_state(request)
    lang = web.lang(request)
    t = web.t(lang)
    form = await _form(request, max_files=1, max_fields=20, max_part_size=64 * 1024)
    if form is None:
        return await _form_page(request, web, lang, status=400, errors={"form": t("form_malformed")})
    values = _values(form)
    try:
        body = web.check_csrf(request, form.get("csrf"), "lapor")
    except BadToken:
        log.info("web form with a bad CSRF token from %s", web.client_ip(request))
        return await _form_page(request, web, lang, status=403, errors={"form": t("form_expired")}, values=values)
    nonce = body["n"]

    errors: dict[str, str] = {}
    report = await _checked(web, values, t, errors)
    attachment, status = await _photo(form.get("photo"), web.config.media.max_bytes, t, errors)
    if errors:
        if any(k != "photo" for k in errors):
            status = 400
        return await _form_page(request, web, lang, status=status, errors=errors, values=values, nonce=nonce)

    ip = web.client_ip(request)
    retry = await web.form_limiter.wait(ip)
    if retry:
        return await _form_page(request, web, lang, status=429, errors={"form": t("form_rate_limited")},
                                values=values, nonce=nonce, headers={"retry-after": str(retry)})
    # "Ini laporan yang sama" (nearby.js): follow that report instead of filing one; without a contact
    # nothing can be sent later, so nothing is sent now either (the page shows the report's link).
    follows = normalize(values["follow"][:40], web.prefix) if values["follow"] else None
    msg = InboundMessage(
        channel=report.channel, external_id=f"web-form:{nonce}", sender=report.sender,
        text=await _report_text(web, report, t), latitude=report.lat, longitude=report.lon,
        attachments=[attachment] if attachment else [], language=lang, standalone=True,
        reply_context={"via": "web"},
        raw="web form", follows=follows, auto_reply=not (follows and report.channel == "web"),
    )
    try:
        (outcome,) = await web.gateway.intake.submit([msg])
    except Exception:  # noqa: BLE001
        log.exception("web form report could not be stored")
        outcome = None
    if outcome is None or outcome.tracking_id is None:
        return await _form_page(request, web, lang, status=503, errors={"form": t("form_unavailable")},
                                values=values, nonce=nonce, headers={"retry-after": "10"})
    if not outcome.duplicate:
        await web.form_limiter.hit(ip)
    followed = "&ikut=1" if follows is not None and outcome.tracking_id == follows else ""
    return _redirect(f"/lapor/terkirim/{outcome.tracking_id}?kabar={'none' if report.channel == 'web' else report.channel}"
                     f"{followed}")


def _values(form: Any) -> dict[str, str]:
    """The form's text fields, cleaned; an unknown contact choice becomes "none"."""
    def text(name: str) -> str:
        v = form.get(name)
        return clean_text(v) if isinstance(v, str) else ""

    values = {k: text(k) for k in ("description", "address", "kelurahan", "contact", "email", "phone", "lat", "lon",
                                   "follow")}
    values["contact"] = values["contact"] if values["contact"] in ("none", "email", "sms") else "none"
    return values


@dataclass
class _Report:
    """The form's fields once checked."""

    description: str
    address: str
    lat: float | None
    lon: float | None
    kelurahan: Any
    channel: str
    sender: str


async def _checked(web: WebState, values: dict[str, str], t: Any, errors: dict[str, str]) -> _Report:
    """Check the text fields; each problem adds its message to ``errors``."""
    description = values["description"].strip()
    if not description and not values.get("follow"):  # following a report may add nothing but a photo
        errors["description"] = t("form_err_description")
    elif len(description) > MAX_TEXT:
        errors["description"] = t("form_err_too_long", n=MAX_TEXT)
    address = values["address"].strip()
    if len(address) > MAX_ADDRESS:
        errors["address"] = t("form_err_too_long", n=MAX_ADDRESS)
    lat, lon = _coordinate(values["lat"], -90, 90), _coordinate(values["lon"], -180, 180)
    if lat == "bad" or lon == "bad" or (lat is None) != (lon is None):
        errors["location"] = t("form_err_location")
    kelurahan = None
    if values["kelurahan"]:
        area = await web.gateway.db.read(queries.find_area, values["kelurahan"][:40])
        if area is None or area["level"] != "kelurahan":
            errors["kelurahan"] = t("form_err_kelurahan")
        else:
            kelurahan = area
    channel, sender = _contact(values, web.gateway.registry, t, errors)
    return _Report(description, address, lat if isinstance(lat, float) else None,
                   lon if isinstance(lon, float) else None, kelurahan, channel, sender)


async def _photo(photo: Any, limit: int, t: Any, errors: dict[str, str]) -> tuple[InboundAttachment | None, int]:
    """The attached photo, if any, and the status to answer when it is refused (413 too big, 415 not an image)."""
    if photo is None or isinstance(photo, str) or not (photo.filename or photo.size):
        return None, 400
    content = await photo.read(limit + 1)
    if len(content) > limit:
        errors["photo"] = t("form_err_photo_size", mb=round(limit / 1_048_576))
        return None, 413
    if not content:
        return None, 400
    kind = sniff_image_type(content)
    if kind is None:
        errors["photo"] = t("form_err_photo_type")
        return None, 415
    return InboundAttachment(content, kind, (photo.filename or "photo")[:100]), 400


async def _report_text(web: WebState, report: _Report, t: Any) -> str:
    """The description, followed by the address and the kelurahan's chain of names."""
    location = [report.address] if report.address else []
    if report.kelurahan is not None:
        chain = await web.gateway.db.read(queries.area_chain, report.kelurahan["code"])
        location.append(", ".join(("Kel. " if a["level"] == "kelurahan" else "Kec. " if a["level"] == "kecamatan" else "")
                                  + a["name"] for a in chain))
    text = report.description
    if location:
        text += f"\n\n{t('form_location_prefix')}: " + "; ".join(location)
    return text


@router.get("/lapor/terkirim/{tracking_id}", response_class=HTMLResponse, summary="Report filed: the tracking ID",
            responses={404: {"description": "Unknown tracking ID", **HTML}})
async def report_done(tracking_id: str, request: Request, kabar: str = "none", ikut: str = "") -> Response:
    web = get_state(request)
    lang = web.lang(request)
    canonical = normalize(tracking_id[:40], web.prefix)
    row = await web.gateway.db.read(repo.ticket_by_tracking_id, canonical) if canonical else None
    if row is None:
        from bot.web.pages import _not_found

        return _not_found(request, web, tracking_id[:40])
    t = web.t(lang)
    return web.render(request, "lapor_done.html", lang, title=t("done_title"), tracking_id=canonical,
                      url=f"{web.base_url}/t/{canonical}", local_url=f"/t/{canonical}",
                      kabar=kabar if kabar in ("email", "sms") else "none", follow=ikut == "1")
