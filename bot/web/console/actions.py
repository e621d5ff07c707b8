"""Every staff command on a ticket as a form: POST /petugas/t/{id}/aksi/{command}.

The form is read into the same ``StaffCommand`` the chat grammar makes (text
length, hours: the parser's own limits) and run by ``StaffEngine.run`` with
origin ``web``: role, scope, lifecycle, proof checks and audit are the
engine's and the commands', never the console's. A proof photo from the
camera is resized here (long side ``PROOF_MAX_SIDE``) before it reaches the
same proof store and reuse check as a photo shared in Slack or Telegram.
"""
from __future__ import annotations

import asyncio
import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot.staff.commands import BY_NAME, MAX_TEXT, StaffCommand, parse_hours
from bot.staff.directory import StaffMember
from bot.tracking import normalize
from bot.web.console.common import PAGE_ERRORS, error_page, flash, officer_form
from bot.web.pages import _redirect
from bot.web.security import clean_text

router = APIRouter()

# The commands on a ticket the console offers, in the order of the page.
ACTIONS = ("ambil", "koordinasi", "disposisi", "proses", "selesai", "validasi", "tolak-tl", "tolak", "catatan",
           "balas", "perpanjang", "gabung")
PROOF_MAX_SIDE = 1600


def allowed(member: StaffMember) -> list[str]:
    """The actions whose forms are shown to ``member`` (the engine checks again when one is sent)."""
    return [a for a in ACTIONS if member.role in BY_NAME[a].roles]


def resize_photo(content: bytes, max_pixels: int) -> bytes:
    """A JPEG at most PROOF_MAX_SIDE px on its long side, upright; the original bytes when it cannot be read
    safely (too many pixels, not an image): the proof store then refuses it with its own reason."""
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(content)) as img:
            if img.width * img.height > max_pixels:
                return content
            if max(img.size) <= PROOF_MAX_SIDE and img.format == "JPEG":
                return content
            upright = ImageOps.exif_transpose(img).convert("RGB")
            upright.thumbnail((PROOF_MAX_SIDE, PROOF_MAX_SIDE))
            out = io.BytesIO()
            upright.save(out, format="JPEG", quality=85)
            return out.getvalue()
    except Exception:  # noqa: BLE001 - not an image: the proof checks say why
        return content


class FormError(Exception):
    def __init__(self, key: str, **fields: Any) -> None:
        super().__init__(key)
        self.key, self.fields = key, fields


def _text(form: Any, name: str, required: bool) -> str:
    value = form.get(name)
    value = clean_text(value).strip() if isinstance(value, str) else ""
    if required and not value:
        raise FormError("con_field_required")
    if len(value) > MAX_TEXT:
        raise FormError("con_text_too_long", max=MAX_TEXT)
    return value


def command_from_form(name: str, tracking_id: str, form: Any) -> StaffCommand:
    """The ``StaffCommand`` the chat grammar of ``name`` would make from this form."""
    grammar = BY_NAME[name].grammar
    if grammar == "id":
        return StaffCommand(name, tracking_id)
    if grammar == "id_text":
        return StaffCommand(name, tracking_id, text=_text(form, "text", True))
    if grammar == "id_target":
        # gabung's "paksa" (merge across kelurahan) is a checkbox here.
        force = "paksa" if form.get("force") in ("1", "on", "paksa") else ""
        return StaffCommand(name, tracking_id, target=_text(form, "target", True), text=force)
    if grammar == "id_url_text":
        return StaffCommand(name, tracking_id, text=_text(form, "text", False))
    if grammar == "id_force":
        return StaffCommand(name, tracking_id, force=form.get("force") in ("1", "on", "paksa"))
    if grammar == "id_hours_text":
        hours = parse_hours(form.get("hours") if isinstance(form.get("hours"), str) else "")
        if hours is None:
            raise FormError("con_bad_hours")
        return StaffCommand(name, tracking_id, hours=hours, text=_text(form, "text", True))
    raise FormError("con_unknown_action")


async def _photo(form: Any, max_pixels: int) -> bytes | None:
    upload = form.get("photo")
    if upload is None or isinstance(upload, str) or not getattr(upload, "filename", None):
        return None
    content = await upload.read()
    if not content:
        return None
    return await asyncio.to_thread(resize_photo, content, max_pixels)


@router.post("/petugas/t/{tracking_id}/aksi/{command}", response_class=HTMLResponse,
             summary="Run a staff command on a ticket (ambil, koordinasi, disposisi, proses, selesai, validasi, "
                     "tolak-tl, tolak, catatan, balas, perpanjang, gabung)",
             responses={**PAGE_ERRORS, 400: {"description": "A missing or bad field (HTML page)"},
                        409: {"description": "Not possible in the ticket's state (HTML page with the reason)"},
                        413: {"description": "Upload too large"}},
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {
                 "schema": {"type": "object", "required": ["csrf"], "properties": {
                     "csrf": {"type": "string"}, "text": {"type": "string", "maxLength": MAX_TEXT},
                     "target": {"type": "string"}, "hours": {"type": "string"},
                     "force": {"type": "string", "enum": ["1"]},
                     "photo": {"type": "string", "format": "binary"}}}}}}})
async def run_action(tracking_id: str, command: str, request: Request) -> Response:
    got = await officer_form(request, max_files=1)
    if isinstance(got, Response):
        return got
    o, form = got
    web = o.web
    canonical = normalize(tracking_id[:40], web.prefix)
    if command not in ACTIONS or canonical is None:
        return error_page(request, o, 404, o.t("con_unknown_action"))
    try:
        cmd = command_from_form(command, canonical, form)
    except FormError as exc:
        return error_page(request, o, 400, o.t(exc.key, **exc.fields))
    photo = await _photo(form, web.config.media.max_pixels) if command == "selesai" else None
    reply = await web.gateway.staff.engine.run(o.member, cmd, origin="web", photo=photo)
    if reply.refused:
        return error_page(request, o, 403, reply.text)
    return _redirect(f"/petugas/t/{canonical}?m={flash(web, reply.text, reply.ok)}")
