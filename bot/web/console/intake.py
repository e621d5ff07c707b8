"""Walk-in, letter and phone reports from the console (/petugas/baru): the web form of the staff ``baru`` command.

The officer picks where the report came in (``ticket.source``: Kantor
Kelurahan, Kantor Kecamatan, Surat Gubernur, Pendopo Balai Kota, Kantor
Inspektorat, a phone call) and how the citizen wants updates (SMS, WhatsApp,
email or none); ``baru`` runs it through the intake pipeline like any report.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot.staff.commands import MAX_TEXT, StaffCommand, normalize_phone, parse_contact
from bot.staff.commands.parse import ORIGINS
from bot.web.console.common import CSRF_PURPOSE, PAGE_ERRORS, Officer, flash, officer, officer_form
from bot.web.pages import _redirect
from bot.web.security import clean_text

router = APIRouter()

UPDATES = ("sms", "whatsapp", "email", "none")


def _page(request: Request, o: Officer, *, status: int = 200, error: str | None = None,
          values: dict[str, str] | None = None) -> Response:
    return o.web.render(request, "console/intake.html", o.lang, status=status, title=o.t("con_intake_title"),
                        staff=o.row, csrf=o.web.csrf_token(request, CSRF_PURPOSE), origins=ORIGINS, updates=UPDATES,
                        error=error, values=values or {}, max_text=MAX_TEXT)


def _contact(update: str, given: str) -> tuple[str, str] | None:
    """(address, channel) for the update preference, or None when the address does not fit it."""
    if update == "none":
        return "", "none"
    if update in ("sms", "whatsapp"):
        phone = normalize_phone(given)
        return (phone, update) if phone else None
    found = parse_contact(given) if "@" in given else None
    return found if found and found[1] == "email" else None


@router.get("/petugas/baru", response_class=HTMLResponse, summary="Walk-in / letter report form", responses=PAGE_ERRORS)
async def intake_form(request: Request) -> Response:
    o = await officer(request)
    if isinstance(o, Response):
        return o
    return _page(request, o)


@router.post("/petugas/baru", response_class=HTMLResponse, summary="Record a walk-in, letter or phone report",
             responses={**PAGE_ERRORS, 400: {"description": "A missing or bad field (the form again, with the reason)"}},
             openapi_extra={"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
                 "schema": {"type": "object", "required": ["csrf", "origin", "update", "text"], "properties": {
                     "csrf": {"type": "string"}, "origin": {"type": "string", "enum": list(ORIGINS)},
                     "update": {"type": "string", "enum": list(UPDATES)}, "contact": {"type": "string"},
                     "text": {"type": "string", "maxLength": MAX_TEXT}}}}}}})
async def intake_submit(request: Request) -> Response:
    got = await officer_form(request)
    if isinstance(got, Response):
        return got
    o, form = got
    values = {k: clean_text(v).strip()[:MAX_TEXT + 1] for k in ("origin", "update", "contact", "text")
              if isinstance(v := form.get(k), str)}

    def again(key: str, **fields: Any) -> Response:
        return _page(request, o, status=400, error=o.t(key, **fields), values=values)

    origin, update, text = values.get("origin", ""), values.get("update", ""), values.get("text", "")
    if origin not in ORIGINS:
        return again("con_intake_bad_origin")
    if update not in UPDATES:
        return again("con_intake_bad_update")
    if not text:
        return again("con_field_required")
    if len(text) > MAX_TEXT:
        return again("con_text_too_long", max=MAX_TEXT)
    contact = _contact(update, values.get("contact", ""))
    if contact is None:
        return again("con_intake_bad_contact")
    cmd = StaffCommand("baru", text=text, contact=contact[0] or None, contact_channel=contact[1], source=origin)
    reply = await o.web.gateway.staff.engine.run(o.member, cmd, origin="web")
    if not reply.ok or reply.tracking_id is None:
        return _page(request, o, status=403 if reply.refused else 400, error=reply.text, values=values)
    return _redirect(f"/petugas/t/{reply.tracking_id}?m={flash(o.web, reply.text, True)}")
