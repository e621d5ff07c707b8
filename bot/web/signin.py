"""Staff sign-in and sign-out (/masuk, /keluar): scrypt passwords, CSRF, failures rate-limited per client."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot.web import queries
from bot.web.pages import _PAGE_ERRORS, HTML, _form, _redirect
from bot.web.security import DUMMY_HASH, BadToken, verify_password
from bot.web.state import SESSION_COOKIE, get_state

log = logging.getLogger(__name__)
router = APIRouter(tags=["public pages"])


def _safe_next(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value \
            and len(value) < 300 and all(32 < ord(ch) < 127 for ch in value):
        return value
    return None


@router.get("/masuk", response_class=HTMLResponse, summary="Staff sign-in form")
async def login_form(request: Request, next: str = "") -> Response:
    web = get_state(request)
    lang = web.lang(request)
    return web.render(request, "login.html", lang, title=web.t(lang)("login_title"), csrf=web.csrf_token(request, "login"),
                      next=_safe_next(next) or "", error=None, login="", staff=await web.current_staff(request))


@router.post("/masuk", response_class=HTMLResponse, summary="Staff sign-in",
             responses={303: {"description": "Signed in"}, 400: _PAGE_ERRORS[400],
                        401: {"description": "Wrong login or password", **HTML},
                        403: _PAGE_ERRORS[403], 429: {"description": "Too many failed attempts", **HTML}},
             openapi_extra={"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
                 "schema": {"type": "object", "required": ["login", "password", "csrf"], "properties": {
                     "login": {"type": "string"}, "password": {"type": "string", "format": "password"},
                     "csrf": {"type": "string"}, "next": {"type": "string"}}}}}}})
async def login_submit(request: Request) -> Response:
    web = get_state(request)
    lang = web.lang(request)
    t = web.t(lang)
    form = await _form(request, max_files=0, max_fields=10)
    login = form.get("login") if form is not None else None
    password = form.get("password") if form is not None else None
    nxt = _safe_next(form.get("next")) if form is not None else None

    def again(status: int, error: str, headers: dict[str, str] | None = None) -> Response:
        return web.render(request, "login.html", lang, status=status, title=t("login_title"),
                          csrf=web.csrf_token(request, "login"), next=nxt or "", error=error,
                          login=login[:200] if isinstance(login, str) else "", headers=headers)

    if form is None:
        return again(400, t("form_malformed"))
    try:
        web.check_csrf(request, form.get("csrf"), "login")
    except BadToken:
        return again(403, t("form_expired"))
    ip = web.client_ip(request)
    retry = await web.login_limiter.wait(ip)
    if retry:
        return again(429, t("login_too_many"), {"retry-after": str(retry)})
    staff = None
    if isinstance(login, str) and isinstance(password, str):
        staff = await web.gateway.db.read(queries.staff_by_login, login)
    ok = verify_password(password if isinstance(password, str) else "", staff["password_hash"] if staff else DUMMY_HASH)
    if staff is None or not staff["password_hash"] or not ok:
        await web.login_limiter.hit(ip)
        log.info("staff sign-in failed from %s", ip)
        return again(401, t("login_failed"))
    target = nxt or (f"/dashboard/{staff['area_code']}" if staff["area_code"] else "/dashboard")
    response = _redirect(target)
    web.set_session(response, staff)
    log.info("staff %s signed in", staff["code"])
    return response


@router.post("/keluar", response_class=HTMLResponse, summary="Staff sign-out",
             responses={303: {"description": "Signed out"}, 400: _PAGE_ERRORS[400], 403: _PAGE_ERRORS[403]},
             openapi_extra={"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
                 "schema": {"type": "object", "required": ["csrf"], "properties": {"csrf": {"type": "string"}}}}}}})
async def logout(request: Request) -> Response:
    web = get_state(request)
    lang = web.lang(request)
    form = await _form(request, max_files=0, max_fields=5)
    try:
        web.check_csrf(request, form.get("csrf") if form is not None else None, "logout")
    except BadToken:
        t = web.t(lang)
        return web.render(request, "message.html", lang, status=403, title=t("form_expired_title"),
                          heading=t("form_expired_title"), message=t("form_expired"), tracking_id=None, kind="error")
    response = _redirect("/")
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=web.secure_cookies)
    return response
