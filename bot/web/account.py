"""An officer's own account (/petugas/akun): two-step verification, new recovery codes, a new password.

Any signed-in officer; CSRF on every form; every change in the audit log. A password change ends every
other session of the officer (the session epoch moves) and signs this browser in again."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from bot.staff.roles import ROLES
from bot.web import twofactor
from bot.web.admin_common import ADMIN_RESPONSES, Admin, admin_of, form_schema, posted, refusal
from bot.web.pages import _redirect
from bot.web.passwords import MIN_LENGTH
from bot.web.security import hash_password, verify_password
from bot.web.staffauth import record
from store import staff_directory as sd

router = APIRouter(prefix="/petugas/akun", tags=["staff admin pages"])


async def _me(request: Request) -> Admin | Response:
    return await admin_of(request, ROLES)


async def _posted_by_me(request: Request, purpose: str) -> tuple[Admin, Any] | Response:
    return await posted(request, purpose, roles=ROLES)


@router.get("", response_class=HTMLResponse, summary="My account: two-step verification and password",
            responses=ADMIN_RESPONSES)
async def account(request: Request) -> Response:
    me = await _me(request)
    if isinstance(me, Response):
        return me
    web, staff = me.web, me.staff
    ctx: dict[str, Any] = {"left": await web.gateway.db.read(sd.recovery_codes_left, staff["id"])}
    if not staff["totp_secret"]:
        secret = twofactor.new_secret()
        uri = twofactor.provisioning_uri(secret, staff["email"] or staff["code"], web.config.instance.name)
        ctx.update(qr=Markup(twofactor.qr_svg(uri)), secret=secret, pending=web.pending_token("enrol", staff, 15, k=secret),
                   enrol_csrf=web.csrf_token(request, "enrol"))
    return web.render(request, "account.html", me.lang, title=me.t("account_title"), staff=staff,
                      csrf=web.csrf_token(request, "account"), done=request.query_params.get("done"),
                      min_length=MIN_LENGTH, **ctx)


@router.post("/sandi", response_class=HTMLResponse, summary="Change my password", responses=ADMIN_RESPONSES,
             openapi_extra=form_schema(["current", "password"], {"current": "Current password",
                                                                 "password": "New password"}))
async def change_password(request: Request) -> Response:
    got = await _posted_by_me(request, "account")
    if isinstance(got, Response):
        return got
    me, form = got
    current, new = form.get("current"), form.get("password")
    if not (isinstance(current, str) and verify_password(current, me.staff["password_hash"])):
        await record(me.web, request, "password_change_failed", staff_code=me.staff["code"], actor=me.actor)
        return refusal(request, me, 400, "account_wrong_password")
    if not isinstance(new, str) or not MIN_LENGTH <= len(new) <= 1024:
        return refusal(request, me, 400, "admin_change_refused", why=me.t("admin_password_short", n=MIN_LENGTH))
    await me.web.gateway.db.write(sd.set_password, me.staff["code"], hash_password(new))
    await record(me.web, request, "password_changed", staff_code=me.staff["code"], actor=me.actor)
    fresh = await me.web.gateway.db.read(sd.staff_row, me.staff["code"])
    assert fresh is not None  # the officer signed in a moment ago
    response = _redirect("/petugas/akun?done=password")
    me.web.set_session(response, fresh, mfa=bool(fresh["totp_secret"]))
    return response


@router.post("/pemulihan", response_class=HTMLResponse, summary="New recovery codes (needs a current TOTP code)",
             responses=ADMIN_RESPONSES, openapi_extra=form_schema(["code"], {"code": "A code from the app"}))
async def new_recovery_codes(request: Request) -> Response:
    got = await _posted_by_me(request, "account")
    if isinstance(got, Response):
        return got
    me, form = got
    code = form.get("code") if isinstance(form.get("code"), str) else ""
    now = me.web.now()
    step = twofactor.matching_step(me.staff["totp_secret"] or "", code[:40], now)
    if step is None or not await me.web.gateway.db.write(sd.accept_totp_step, me.staff["id"], step):
        await record(me.web, request, "recovery_codes_refused", staff_code=me.staff["code"], actor=me.actor)
        return refusal(request, me, 400, "mfa_wrong")
    codes = twofactor.new_recovery_codes()
    hashes = [twofactor.hash_recovery_code(c) for c in codes]
    await me.web.gateway.db.write(sd.replace_recovery_codes, me.staff["id"], hashes, now)
    await record(me.web, request, "recovery_codes_renewed", staff_code=me.staff["code"], actor=me.actor)
    return me.web.render(request, "recovery_codes.html", me.lang, title=me.t("recovery_title"), codes=codes,
                         next="/petugas/akun", staff=me.staff)
