"""Staff sign-in and sign-out (/masuk, /keluar): scrypt passwords, then TOTP (``bot.web.twofactor``) for
officers who enrolled, and enrolment on the spot for roles that require it (admin, validator). CSRF on every
form; failures rate-limited per client and per account; every sign-in and failure in the audit log."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from markupsafe import Markup
from sqlalchemy import RowMapping

from bot.web import queries, twofactor
from bot.web.pages import _PAGE_ERRORS, HTML, _form, _redirect
from bot.web.security import DUMMY_HASH, BadToken, verify_password
from bot.web.staffauth import failed, landing, record, signed_in, wait_seconds
from bot.web.state import SESSION_COOKIE, WebState, get_state
from bot.web.twofactor import mfa_required
from store import staff_directory as store_directory

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
    wait = wait_seconds(web, request, login)
    if wait:
        return again(429, t("login_too_many"), {"retry-after": str(wait)})
    staff = None
    if isinstance(login, str) and isinstance(password, str):
        staff = await web.gateway.db.read(queries.staff_by_login, login)
    ok = verify_password(password if isinstance(password, str) else "", staff["password_hash"] if staff else DUMMY_HASH)
    if staff is None or not staff["password_hash"] or not ok:
        await failed(web, request, login, "password", staff)
        return again(401, t("login_failed"))
    if staff["totp_secret"]:
        return code_page(request, web, lang, staff, nxt, None)
    if mfa_required(staff["role"]):
        return enrol_page(request, web, lang, staff, nxt, None, status=200)
    return await signed_in(web, request, staff, nxt, "password")


def code_page(request: Request, web: WebState, lang: str, staff: RowMapping, nxt: str | None, error: str | None,
              status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The second step: a code from the authenticator app, or a recovery code."""
    t = web.t(lang)
    return web.render(request, "login_code.html", lang, status=status, title=t("mfa_title"), error=error,
                      csrf=web.csrf_token(request, "login_code"), pending=web.pending_token("mfa", staff),
                      next=nxt or "", headers=headers)


def enrol_page(request: Request, web: WebState, lang: str, staff: RowMapping, nxt: str | None, error: str | None,
               *, status: int, secret: str | None = None, signed_in: RowMapping | None = None) -> Response:
    """TOTP enrolment: the QR code (inline SVG), the secret to type by hand, and the first code to confirm."""
    t = web.t(lang)
    secret = secret or twofactor.new_secret()
    uri = twofactor.provisioning_uri(secret, staff["email"] or staff["code"], web.config.instance.name)
    return web.render(request, "twofactor_enrol.html", lang, status=status, title=t("enrol_title"), error=error,
                      csrf=web.csrf_token(request, "enrol"), pending=web.pending_token("enrol", staff, 15, k=secret),
                      next=nxt or "", qr=Markup(twofactor.qr_svg(uri)), secret=secret, staff=signed_in,
                      required=mfa_required(staff["role"]))


_CODE_FORM = {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["pending", "code", "csrf"], "properties": {
        "pending": {"type": "string"}, "code": {"type": "string"}, "csrf": {"type": "string"},
        "next": {"type": "string"}}}}}}}
_CODE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Enrolled: the recovery codes, shown once", **HTML}, 303: {"description": "Signed in"},
    400: _PAGE_ERRORS[400], 401: {"description": "Wrong code", **HTML}, 403: _PAGE_ERRORS[403],
    429: {"description": "Too many failed attempts", **HTML}}


@dataclass
class _Step:
    """A posted second-step form that passed CSRF, the limits and the pending-token checks."""

    staff: RowMapping
    body: dict[str, Any]
    nxt: str | None
    code: str


async def _second_step(request: Request, purpose: str) -> _Step | Response:
    """The code forms' checks (CSRF, the pending token, the limits), or the answer that refuses them."""
    web = get_state(request)
    lang = web.lang(request)
    t = web.t(lang)
    form = await _form(request, max_files=0, max_fields=10)
    if form is None:
        return _restart(request, web, lang, 400, t("form_malformed"))
    try:
        web.check_csrf(request, form.get("csrf"), "login_code" if purpose == "mfa" else "enrol")
    except BadToken:
        return _restart(request, web, lang, 403, t("form_expired"))
    found = await web.staff_of_token(purpose, form.get("pending") if isinstance(form.get("pending"), str) else None)
    if found is None:
        return _restart(request, web, lang, 403, t("mfa_expired"))
    wait = wait_seconds(web, request, found[0]["code"])
    if wait:
        return _restart(request, web, lang, 429, t("login_too_many"), {"retry-after": str(wait)})
    code = form.get("code")
    return _Step(found[0], found[1], _safe_next(form.get("next")), code[:40] if isinstance(code, str) else "")


def _restart(request: Request, web: WebState, lang: str, status: int, error: str,
             headers: dict[str, str] | None = None) -> Response:
    t = web.t(lang)
    return web.render(request, "login.html", lang, status=status, title=t("login_title"),
                      csrf=web.csrf_token(request, "login"), next="", error=error, login="", headers=headers)


@router.post("/masuk/kode", response_class=HTMLResponse, summary="Staff sign-in, second step (TOTP or recovery code)",
             responses=_CODE_RESPONSES, openapi_extra=_CODE_FORM)
async def login_code(request: Request) -> Response:
    web = get_state(request)
    lang = web.lang(request)
    checked = await _second_step(request, "mfa")
    if isinstance(checked, Response):
        return checked
    staff, nxt, code, now = checked.staff, checked.nxt, checked.code, web.now()
    step = twofactor.matching_step(staff["totp_secret"], code, now)
    if step is not None and await web.gateway.db.write(store_directory.accept_totp_step, staff["id"], step):
        return await signed_in(web, request, staff, nxt, "totp")
    if step is None and twofactor.looks_like_recovery_code(code[:40]) and await web.gateway.db.write(
            store_directory.use_recovery_code, staff["id"], twofactor.hash_recovery_code(code), now):
        left = await web.gateway.db.read(store_directory.recovery_codes_left, staff["id"])
        await record(web, request, "recovery_code_used", staff_code=staff["code"], actor=f"staff:{staff['code']}",
                     left=left)
        return await signed_in(web, request, staff, nxt, "recovery_code")
    await failed(web, request, staff["code"], "code_reused" if step is not None else "code", staff)
    return code_page(request, web, lang, staff, nxt, web.t(lang)("mfa_wrong"), status=401)


@router.post("/masuk/2fa-baru", response_class=HTMLResponse, summary="Confirm TOTP enrolment with a first code",
             responses=_CODE_RESPONSES, openapi_extra=_CODE_FORM)
async def enrol_submit(request: Request) -> Response:
    web = get_state(request)
    lang = web.lang(request)
    t = web.t(lang)
    checked = await _second_step(request, "enrol")
    if isinstance(checked, Response):
        return checked
    staff, nxt, secret = checked.staff, checked.nxt, str(checked.body.get("k") or "")
    step = twofactor.matching_step(secret, checked.code, web.now())
    if step is None:
        await failed(web, request, staff["code"], "enrol_code", staff)
        return enrol_page(request, web, lang, staff, nxt, t("mfa_wrong"), status=401, secret=secret,
                          signed_in=await web.current_staff(request))
    codes = twofactor.new_recovery_codes()
    await web.gateway.db.write(_enrol, staff["id"], secret, step, [twofactor.hash_recovery_code(c) for c in codes],
                               web.now())
    await record(web, request, "totp_enrolled", staff_code=staff["code"], actor=f"staff:{staff['code']}")
    response = web.render(request, "recovery_codes.html", lang, title=t("recovery_title"), codes=codes,
                          next=landing(staff, nxt), staff=staff)
    web.set_session(response, staff, mfa=True)
    await record(web, request, "signin", staff_code=staff["code"], actor=f"staff:{staff['code']}", method="enrolment")
    return response


def _enrol(conn: Any, staff_id: int, secret: str, step: int, hashes: list[str], now: Any) -> None:
    store_directory.set_totp(conn, staff_id, secret, step)
    store_directory.replace_recovery_codes(conn, staff_id, hashes, now)


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
    staff = await web.current_staff(request)
    if staff is not None:
        await record(web, request, "signout", staff_code=staff["code"], actor=f"staff:{staff['code']}")
    response = _redirect("/")
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=web.secure_cookies)
    return response
