"""What every console page shares: the signed-in officer, their directory entry, flash messages, deadlines in words."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import RowMapping

from bot.staff.directory import StaffMember
from bot.web.pages import HTML, _form, _redirect
from bot.web.security import BadToken
from bot.web.state import WebState, get_state

CSRF_PURPOSE = "console"
_FLASH = "console-flash"
PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    303: {"description": "Not signed in: to /masuk (or, after an action, back to the ticket page)"},
    403: {"description": "Not allowed (role or scope), or a forged/expired form token (HTML page)", **HTML},
    404: {"description": "No such ticket (HTML page)", **HTML},
}


@dataclass
class Officer:
    """The signed-in officer: the web session's staff row and the directory entry the engine authorises."""

    web: WebState
    row: RowMapping
    member: StaffMember
    lang: str

    def t(self, key: str, **fields: Any) -> str:
        return self.web.t(self.lang)(key, **fields)

    @property
    def can_view_contact(self) -> bool:
        role = self.web.config.staff_roles.get(self.member.role)  # type: ignore[call-overload]
        return bool(role and role.can_view_contact)


async def officer(request: Request) -> Officer | Response:
    """The officer, or the answer for someone who is not one (sign-in page, or 403)."""
    web = get_state(request)
    lang = web.lang(request)
    row = await web.current_staff(request)
    if row is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return _redirect("/masuk?next=" + quote(target, safe="/"))
    member = web.gateway.staff.directory.member_of(row)
    if member is None:
        t = web.t(lang)
        return web.render(request, "message.html", lang, status=403, title=t("con_title"), heading=t("con_title"),
                          message=t("con_not_officer"), tracking_id=None, kind="error", staff=row)
    return Officer(web, row, member, lang)


def error_page(request: Request, o: Officer, status: int, message: str) -> Response:
    return o.web.render(request, "console/message.html", o.lang, status=status, title=o.t("con_title"),
                        heading=o.t("con_refused"), message=message, tracking_id=None, kind="error", staff=o.row)


def check_csrf(request: Request, o: Officer, token: Any) -> Response | None:
    try:
        o.web.check_csrf(request, token, CSRF_PURPOSE)
    except BadToken:
        return error_page(request, o, 403, o.t("form_expired"))
    return None


async def officer_form(request: Request, *, max_files: int = 0) -> tuple[Officer, Any] | Response:
    """(officer, form) of a console POST with a valid CSRF token, or the answer refusing it."""
    o = await officer(request)
    if isinstance(o, Response):
        return o
    form = await _form(request, max_files=max_files, max_fields=10)
    refused = check_csrf(request, o, form.get("csrf") if form is not None else None)
    return refused if refused is not None else (o, form)


def flash(web: WebState, text: str, ok: bool) -> str:
    """A signed message carried in the redirect after an action (no server-side session store)."""
    return web.signer.sign(_FLASH, {"m": text[:1500], "ok": ok}, web.now() + timedelta(minutes=10))


def read_flash(web: WebState, token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        body = web.signer.verify(_FLASH, token, web.now())
    except BadToken:
        return None
    return {"text": str(body.get("m", "")), "ok": bool(body.get("ok"))}


def deadline_words(due: datetime | None, now: datetime, t: Any) -> tuple[str, bool]:
    """("tersisa 2 jam" / "terlambat 1 hari", late?) in the page's language."""
    if due is None:
        return "-", False
    late = due < now
    seconds = abs((due - now).total_seconds())
    if seconds < 3600:
        n, unit = max(1, round(seconds / 60)), "minutes"
    elif seconds < 48 * 3600:
        n, unit = round(seconds / 3600), "hours"
    else:
        n, unit = round(seconds / 86400), "days"
    return t(f"con_{'late' if late else 'left'}_{unit}", n=n), late
