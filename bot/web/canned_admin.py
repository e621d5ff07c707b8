"""Admin pages for canned replies (``balasan siap pakai``, /petugas/admin/balasan): list, add, edit, delete.

Officers insert them into ``balas`` from the console (``store.staff.list_canned``). Signed-in admins only,
CSRF on every form, every change in the audit log."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot.web.admin_common import (ADMIN_RESPONSES, Admin, admin_of, form_schema, number, or_none, posted, refusal,
                                  text)
from bot.web.i18n import LANGUAGES
from bot.web.pages import _redirect
from store import staff as store_staff
from store import staff_directory as sd

router = APIRouter(prefix="/petugas/admin/balasan", tags=["staff admin pages"])
MAX_BODY = 2000
_FIELDS = {"category": "Category code; empty: any category", "language": "id | en", "title": "Short name",
           "body": f"The reply text (up to {MAX_BODY} characters)"}


def _values(admin: Admin, form: Any) -> dict[str, Any] | str:
    """The reply's columns, or the key of why they are refused."""
    category, language = or_none(text(form, "category", 40)), text(form, "language", 5)
    title, body = text(form, "title", 120), text(form, "body", MAX_BODY + 1)
    if category and category not in {c.code for c in admin.web.config.categories}:
        return "canned_bad_category"
    if language not in LANGUAGES or not title or not body or len(body) > MAX_BODY:
        return "canned_incomplete"
    return {"category_code": category, "language": language, "title": title, "body": body}


def _page(request: Request, admin: Admin, template: str, **ctx: Any) -> Response:
    cats = [(c.code, c.name_en if admin.lang == "en" else c.name_id) for c in admin.web.config.categories]
    return admin.web.render(request, template, admin.lang, title=admin.t("canned_title"), staff=admin.staff,
                            categories=cats, languages=LANGUAGES, csrf=admin.web.csrf_token(request, "admin_canned"),
                            done=request.query_params.get("done"), max_body=MAX_BODY, **ctx)


@router.get("", response_class=HTMLResponse, summary="Canned replies (admin)", responses=ADMIN_RESPONSES)
async def canned_list(request: Request) -> Response:
    admin = await admin_of(request)
    if isinstance(admin, Response):
        return admin
    rows = await admin.web.gateway.db.read(store_staff.all_canned)
    return _page(request, admin, "admin_canned.html", rows=rows, reply=None)


@router.post("", response_class=HTMLResponse, summary="Add a canned reply (admin)", responses=ADMIN_RESPONSES,
             openapi_extra=form_schema(["language", "title", "body"], _FIELDS))
async def canned_add(request: Request) -> Response:
    got = await posted(request, "admin_canned")
    if isinstance(got, Response):
        return got
    admin, form = got
    values = _values(admin, form)
    if isinstance(values, str):
        return refusal(request, admin, 400, values, n=MAX_BODY)
    now = admin.web.now()

    def add(conn: Any) -> int:
        new_id = store_staff.add_canned(conn, values, admin.actor, now)
        sd.audit(conn, now, "canned_add", actor=admin.actor, id=new_id, title=values["title"])
        return new_id

    await admin.web.gateway.db.write(add)
    return _redirect("/petugas/admin/balasan?done=add")


@router.get("/{canned_id}", response_class=HTMLResponse, summary="Edit a canned reply (admin)",
            responses=ADMIN_RESPONSES)
async def canned_edit(request: Request, canned_id: str) -> Response:
    admin = await admin_of(request)
    if isinstance(admin, Response):
        return admin
    reply = await admin.web.gateway.db.read(store_staff.canned_by_id, number(canned_id, 0, 0, 2**31 - 1))
    if reply is None:
        return refusal(request, admin, 404, "canned_not_found")
    return _page(request, admin, "admin_canned_edit.html", reply=reply)


@router.post("/{canned_id}", response_class=HTMLResponse, summary="Save or delete a canned reply (admin)",
             responses=ADMIN_RESPONSES, openapi_extra=form_schema(["op"], {"op": "save | delete", **_FIELDS}))
async def canned_change(request: Request, canned_id: str) -> Response:
    got = await posted(request, "admin_canned")
    if isinstance(got, Response):
        return got
    admin, form = got
    reply_id = number(canned_id, 0, 0, 2**31 - 1)
    op, now = text(form, "op", 10), admin.web.now()
    if op not in ("save", "delete"):
        return refusal(request, admin, 400, "form_malformed")
    values = _values(admin, form) if op == "save" else {}
    if isinstance(values, str):
        return refusal(request, admin, 400, values, n=MAX_BODY)

    def change(conn: Any) -> bool:
        done = store_staff.update_canned(conn, reply_id, values, admin.actor, now) if op == "save" \
            else store_staff.delete_canned(conn, reply_id)
        if done:
            sd.audit(conn, now, f"canned_{op}", actor=admin.actor, id=reply_id)
        return done

    if not await admin.web.gateway.db.write(change):
        return refusal(request, admin, 404, "canned_not_found")
    return _redirect(f"/petugas/admin/balasan?done={op}")
