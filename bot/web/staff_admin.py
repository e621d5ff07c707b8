"""Admin pages for the staff directory and the audit log (/petugas/admin/...): what ``aduan staff`` does, on the web.

Signed-in admins only (TOTP is required for the role); every form is CSRF-protected and every change goes
through ``bot.staff.admin_ops`` (the CLI's implementation), audited with the admin as actor."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection

from bot.staff import admin_ops
from bot.staff.roles import ROLES
from bot.web.admin_common import (ADMIN_RESPONSES, Admin, admin_of, form_schema, number, or_none, posted, refusal,
                                  text)
from bot.web.pages import _redirect
from bot.web.passwords import MIN_LENGTH
from bot.web.security import hash_password
from store import staff_directory as sd

router = APIRouter(prefix="/petugas/admin", tags=["staff admin pages"])
AUDIT_PAGE = 50
_FIELDS = {"name": "Full name", "role": "lurah | agency_officer | validator | admin", "agency": "Agency code",
           "area": "Kemendagri area code", "email": "Sign-in email", "language": "id | en",
           "may_see_contact": "1: may see reporters' contact details"}


def _values(form: Any) -> dict[str, Any]:
    return {"name": text(form, "name", 120), "role": text(form, "role", 30),
            "agency_code": or_none(text(form, "agency", 40)), "area_code": or_none(text(form, "area", 20)),
            "email": or_none(text(form, "email", 200)), "language": or_none(text(form, "language", 5)),
            "may_see_contact": text(form, "may_see_contact", 1) == "1"}


def _check(admin: Admin, values: dict[str, Any]) -> str | None:
    directory = admin.web.gateway.staff.directory
    return admin_ops.check_values(values, set(directory.agency_parent), set(directory.areas))


async def _apply(request: Request, admin: Admin, command: str, code: str, **params: Any) -> Response | None:
    """Run a change; None when done, else the page that says why it was refused."""
    now = admin.web.now()
    try:
        await admin.web.gateway.db.write(lambda conn: admin_ops.apply(conn, now, admin.actor, command, code, **params))
    except sd.DirectoryError as err:
        return refusal(request, admin, 400, "admin_change_refused", why=str(err))
    return None


def _listing(conn: Connection) -> tuple[list[Any], dict[int, list[str]]]:
    return sd.list_staff(conn), sd.identity_map(conn)


@router.get("/staf", response_class=HTMLResponse, summary="Staff directory (admin)", responses=ADMIN_RESPONSES)
async def staff_list(request: Request) -> Response:
    admin = await admin_of(request)
    if isinstance(admin, Response):
        return admin
    rows, links = await admin.web.gateway.db.read(_listing)
    return admin.web.render(request, "admin_staff.html", admin.lang, title=admin.t("admin_staff_title"),
                            staff=admin.staff, rows=rows, links=links, roles=ROLES,
                            csrf=admin.web.csrf_token(request, "admin_staff"), done=request.query_params.get("done"))


@router.post("/staf", response_class=HTMLResponse, summary="Add an officer (admin)", responses=ADMIN_RESPONSES,
             openapi_extra=form_schema(["code", "name", "role"], {"code": "Officer code", **_FIELDS,
                                                                  "password": "Initial password (optional)"}))
async def staff_add(request: Request) -> Response:
    got = await posted(request, "admin_staff")
    if isinstance(got, Response):
        return got
    admin, form = got
    code, values = text(form, "code", 60), _values(form)
    password = form.get("password") if isinstance(form.get("password"), str) else ""
    why = _check(admin, dict(values, code=code))
    if why is None and password and len(password) < MIN_LENGTH:
        why = admin.t("admin_password_short", n=MIN_LENGTH)
    if why:
        return refusal(request, admin, 400, "admin_change_refused", why=why)
    if password:
        values["password_hash"] = hash_password(password[:1024])
    return await _apply(request, admin, "add", code, values=values) or _redirect(f"/petugas/admin/staf/{code}?done=add")


def _detail(conn: Connection, code: str) -> dict[str, Any] | None:
    row = sd.staff_row(conn, code)
    if row is None:
        return None
    return {"row": row, "identities": sd.identities(conn, row["id"]),
            "recovery_left": sd.recovery_codes_left(conn, row["id"]),
            "audit": sd.audit_rows(conn, limit=20, staff_code=code)}


@router.get("/staf/{code}", response_class=HTMLResponse, summary="One officer (admin)", responses=ADMIN_RESPONSES)
async def staff_detail(request: Request, code: str) -> Response:
    admin = await admin_of(request)
    if isinstance(admin, Response):
        return admin
    found = await admin.web.gateway.db.read(_detail, code[:60])
    if found is None:
        return refusal(request, admin, 404, "admin_no_such_officer", code=code[:60])
    return admin.web.render(request, "admin_staff_detail.html", admin.lang, title=found["row"]["name"],
                            staff=admin.staff, roles=ROLES, channels=admin_ops.CHANNELS,
                            csrf=admin.web.csrf_token(request, "admin_staff"), done=request.query_params.get("done"),
                            **found)


@router.post("/staf/{code}", response_class=HTMLResponse, summary="Change an officer (admin)",
             responses=ADMIN_RESPONSES,
             openapi_extra=form_schema(["op"], {"op": "update | disable | enable | set-password | link | unlink | "
                                                      "reset-2fa", **_FIELDS, "password": "New password",
                                                "channel": "slack | telegram", "external_id": "Chat user id"}))
async def staff_change(request: Request, code: str) -> Response:
    got = await posted(request, "admin_staff")
    if isinstance(got, Response):
        return got
    admin, form = got
    code, op = code[:60], text(form, "op", 20)
    params: dict[str, Any] = {}
    if op == "update":
        params["values"] = _values(form)
        why = _check(admin, params["values"])
        if why:
            return refusal(request, admin, 400, "admin_change_refused", why=why)
    elif op == "set-password":
        password = form.get("password") if isinstance(form.get("password"), str) else ""
        if len(password) < MIN_LENGTH:
            return refusal(request, admin, 400, "admin_change_refused", why=admin.t("admin_password_short", n=MIN_LENGTH))
        params["password_hash"] = hash_password(password[:1024])
    elif op in ("link", "unlink"):
        params = {"channel": text(form, "channel", 20), "external_id": text(form, "external_id", 80)}
    elif op not in ("disable", "enable", "reset-2fa"):
        return refusal(request, admin, 400, "form_malformed")
    if op in ("disable", "set-role") and code == admin.staff["code"]:
        return refusal(request, admin, 400, "admin_not_yourself")
    return await _apply(request, admin, op, code, **params) or _redirect(f"/petugas/admin/staf/{code}?done={op}")


@router.get("/audit", response_class=HTMLResponse, summary="Audit log of sign-ins and directory changes (admin)",
            responses=ADMIN_RESPONSES)
async def audit_log(request: Request, page: str = "1", staff: str = "", action: str = "") -> Response:
    admin = await admin_of(request)
    if isinstance(admin, Response):
        return admin
    page_no = number(page, 1, 1, 10_000)
    rows = await admin.web.gateway.db.read(lambda conn: sd.audit_rows(
        conn, limit=AUDIT_PAGE + 1, offset=(page_no - 1) * AUDIT_PAGE, staff_code=staff[:60] or None,
        action=action[:40] or None))
    return admin.web.render(request, "admin_audit.html", admin.lang, title=admin.t("admin_audit_title"),
                            staff=admin.staff, rows=rows[:AUDIT_PAGE], page=page_no, more=len(rows) > AUDIT_PAGE,
                            who=staff[:60], action=action[:40], done=None)
