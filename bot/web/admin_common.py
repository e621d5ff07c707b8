"""What the admin pages share: the signed-in admin check, CSRF-checked forms, form fields, the schema parts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import RowMapping

from bot.web.pages import _PAGE_ERRORS, HTML, _form, _redirect
from bot.web.security import BadToken, clean_text
from bot.web.state import WebState, get_state

ADMIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The page", **HTML}, 303: {"description": "Done, or not signed in (to /masuk)"},
    400: _PAGE_ERRORS[400], 403: {"description": "Not an admin, or a forged/expired form token", **HTML},
    404: _PAGE_ERRORS[404]}


def form_schema(required: list[str], fields: dict[str, str]) -> dict[str, Any]:
    """``openapi_extra`` for a urlencoded form of string fields (``csrf`` always required)."""
    props = {name: {"type": "string", "description": text} for name, text in fields.items()}
    props["csrf"] = {"type": "string"}
    return {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
        "schema": {"type": "object", "required": ["csrf", *required], "properties": props}}}}}


@dataclass
class Admin:
    """A request from a signed-in admin."""

    web: WebState
    lang: str
    staff: RowMapping

    @property
    def actor(self) -> str:
        return f"staff:{self.staff['code']}"

    def t(self, key: str, **fields: Any) -> str:
        return str(self.web.t(self.lang)(key, **fields))


async def admin_of(request: Request, roles: tuple[str, ...] = ("admin",)) -> Admin | Response:
    """The signed-in officer if their role is in ``roles``; else a redirect to sign in, or a 403 page."""
    web = get_state(request)
    lang = web.lang(request)
    staff = await web.current_staff(request)
    if staff is None:
        return _redirect("/masuk?next=" + quote(request.url.path))
    if staff["role"] not in roles:
        return refusal(request, Admin(web, lang, staff), 403, "admin_only")
    return Admin(web, lang, staff)


def refusal(request: Request, admin: Admin, status: int, key: str, **fields: Any) -> Response:
    title = admin.t("admin_refused_title")
    return admin.web.render(request, "message.html", admin.lang, status=status, title=title, heading=title,
                            message=admin.t(key, **fields), tracking_id=None, kind="error", staff=admin.staff)


async def posted(request: Request, purpose: str, max_fields: int = 20,
                 roles: tuple[str, ...] = ("admin",)) -> tuple[Admin, Any] | Response:
    """(admin, form) for a POST from a signed-in officer of ``roles`` with a valid CSRF token for ``purpose``."""
    admin = await admin_of(request, roles)
    if isinstance(admin, Response):
        return admin
    form = await _form(request, max_files=0, max_fields=max_fields)
    if form is None:
        return refusal(request, admin, 400, "form_malformed")
    try:
        admin.web.check_csrf(request, form.get("csrf"), purpose)
    except BadToken:
        return refusal(request, admin, 403, "form_expired")
    return admin, form


def text(form: Any, key: str, limit: int = 200) -> str:
    """A form field as stripped text without control characters ('' when missing or not text), cut at ``limit``."""
    value = form.get(key)
    return clean_text(value).strip()[:limit] if isinstance(value, str) else ""


def or_none(value: str) -> str | None:
    return value or None


def number(value: str, default: int, low: int, high: int) -> int:
    """A path or query number parsed here (a bad one is ``default``), so pages answer HTML, never JSON errors."""
    try:
        return max(low, min(int(value), high))
    except ValueError:
        return default
