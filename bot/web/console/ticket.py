"""The staff ticket page (/petugas/t/{id}): timeline with internal entries marked, photos, location,
both SLA clocks, reachability; the reporter's contact only for roles with ``can_view_contact``, each
view audited (event ``contact_viewed``). Photos are served to officers in scope only, without metadata."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from bot.lifecycle import OPEN_STATUSES
from bot.public import identities
from bot.redact import redact
from bot import duplicates
from bot.staff.commands.lihat import describe, duplicate_lines
from bot.staff.commands.parse import MAX_EXTEND_HOURS, MAX_TEXT, ORIGINS
from bot.tracking import normalize
from bot.web.console import actions as console_actions
from bot.web.console.common import (CSRF_PURPOSE, PAGE_ERRORS, Officer, deadline_words, error_page, officer,
                                    officer_form, read_flash)
from store import console as store_console
from store import duplicates as dup_store
from store import repo
from store import staff as staff_store

router = APIRouter()


def _load(conn: Any, tracking_id: str, o: Officer, show_contact: bool) -> dict[str, Any] | None:
    t = repo.ticket_by_tracking_id(conn, tracking_id)
    if t is None:
        return None
    refusal = o.web.gateway.staff.directory.may_touch(o.member, t)
    if refusal is not None:
        return {"refusal": refusal}
    reporter = repo.get_reporter(conn, t["reporter_id"])
    who = identities(conn, [t])[t["id"]]
    lang = o.lang
    engine = o.web.gateway.staff.engine
    events = []
    for e in repo.events_for(conn, t["id"]):
        d = describe(engine, conn, e, lang, lambda text: redact(text, who))
        events.append(dict(d, at=e["created_at"], internal=not e["public"], reason=d["reason"][:1000]))
    links = dup_store.links_of(conn, t["id"])
    # The open report a possible duplicate points to: the merge form's suggestion.
    candidate = next((lk["tracking_id"] for lk in links if lk["kind"] == duplicates.POSSIBLE
                      and lk["status"] in OPEN_STATUSES and lk["merged_into_id"] is None), None)
    # The citizen's own words (description, rating comment) through the one redactor.
    return {"t": dict(t, description=redact(t["description"], who),
                      rating_comment=redact(t["rating_comment"], who) if t["rating_comment"] else None),
            "events": events, "duplicates": duplicate_lines(engine, conn, t, lang), "merge_candidate": candidate,
            "photos": store_console.attachments(conn, t["id"]), "assignee": _assignee(conn, t["id"]),
            "reporter": {"opted_out": bool(reporter and reporter["opted_out"]),
                         "unreachable": bool(reporter and reporter["unreachable"]),
                         "contact": reporter["address"] if show_contact and reporter is not None else None},
            "canned": staff_store.list_canned(conn, t["category_code"], t["language"] or "id"),
            "units": sorted(c for c, p in o.web.gateway.staff.directory.agency_parent.items()
                            if t["agency_code"] and c != t["agency_code"]
                            and o.web.gateway.staff.directory.agency_within(c, t["agency_code"]))}


def _assignee(conn: Any, ticket_id: int) -> dict[str, str] | None:
    code = staff_store.assignee(conn, ticket_id)
    return {"code": code, "name": staff_store.staff_name(conn, code) or code} if code else None


async def render_ticket(request: Request, o: Officer, tracking_id: str, *, show_contact: bool = False,
                        status: int = 200) -> Response:
    web = o.web
    canonical = normalize(tracking_id[:40], web.prefix)
    got = await web.gateway.db.read(_load, canonical, o, show_contact) if canonical else None
    if got is None:
        return error_page(request, o, 404, o.t("nf_given", given=tracking_id[:40]))
    if "refusal" in got:
        return error_page(request, o, 403, web.gateway.staff.engine.refusal(o.lang, got["refusal"]))
    if show_contact:  # the audit trail records every view of a reporter's contact details
        def audit(conn: Any) -> None:
            repo.add_event(conn, got["t"]["id"], "contact_viewed", o.member.actor, web.now(), data={"via": "web"})

        await web.gateway.db.write(audit)
    now, t = web.now(), web.t(o.lang)
    tk = got["t"]
    open_ = tk["status"] in OPEN_STATUSES
    coord_words, coord_late = deadline_words(tk["coordinate_due"], now, t)
    resolve_words, resolve_late = deadline_words(tk["resolve_due"], now, t)
    directory = web.gateway.staff.directory
    return web.render(
        request, "console/ticket.html", o.lang, status=status, title=t("con_ticket_title", id=tk["tracking_id"]),
        staff=o.row, tk=tk, events=got["events"], photos=got["photos"], reporter=got["reporter"],
        assignee=got["assignee"], open_=open_,
        coordinated=tk["coordinated_at"] is not None, coord_words=coord_words, coord_late=coord_late and open_,
        resolve_words=resolve_words, resolve_late=resolve_late and open_, units=got["units"],
        agencies=sorted(directory.agency_names.items()), agency_name=directory.agency_names.get,
        area_label=directory.area_label, status_label=lambda s: web.gateway.templates.status_label(s, o.lang),
        category=web.gateway.staff.engine.category(tk["category_code"], o.lang),
        actions=console_actions.allowed(o.member), can_view_contact=o.can_view_contact,
        csrf=web.csrf_token(request, CSRF_PURPOSE), flash=read_flash(web, request.query_params.get("m")),
        max_text=MAX_TEXT, max_hours=int(MAX_EXTEND_HOURS), origins=ORIGINS, canned=got["canned"],
        duplicates=got["duplicates"], merge_candidate=got["merge_candidate"],
        **_prefill(got["canned"], request.query_params.get("balasan", "")))


def _prefill(canned: list[Any], chosen: str) -> dict[str, Any]:
    """The canned reply picked without JavaScript (``?balasan=<id>``): its body goes into the reply box to edit."""
    found = next((c for c in canned if str(c["id"]) == chosen[:12]), None)
    return {"prefill": found["body"] if found else "", "prefill_id": found["id"] if found else None}


@router.get("/petugas/t/{tracking_id}", response_class=HTMLResponse, summary="Staff ticket page", responses=PAGE_ERRORS)
async def ticket_page(tracking_id: str, request: Request, m: str = "") -> Response:
    o = await officer(request)
    if isinstance(o, Response):
        return o
    return await render_ticket(request, o, tracking_id)


@router.post("/petugas/t/{tracking_id}/kontak", response_class=HTMLResponse,
             summary="Show the reporter's contact details (roles with can_view_contact; audited)",
             responses=PAGE_ERRORS,
             openapi_extra={"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
                 "schema": {"type": "object", "required": ["csrf"], "properties": {"csrf": {"type": "string"}}}}}}})
async def show_contact(tracking_id: str, request: Request) -> Response:
    got = await officer_form(request)
    if isinstance(got, Response):
        return got
    o, _ = got
    if not o.can_view_contact:
        return error_page(request, o, 403, o.t("con_contact_denied"))
    return await render_ticket(request, o, tracking_id, show_contact=True)


@router.get("/petugas/t/{tracking_id}/foto/{attachment_id}", summary="A photo of the ticket (officers in scope)",
            responses={200: {"description": "The photo, without metadata", "content": {"image/jpeg": {}}},
                       400: {"description": "`attachment_id` is not an integer"}, **PAGE_ERRORS})
async def photo(tracking_id: str, attachment_id: int, request: Request) -> Response:
    o = await officer(request)
    if isinstance(o, Response):
        return o
    web = o.web
    canonical = normalize(tracking_id[:40], web.prefix)

    def load(conn: Any) -> Any:
        t = repo.ticket_by_tracking_id(conn, canonical or "")
        if t is None or web.gateway.staff.directory.may_touch(o.member, t) is not None:
            return None
        return store_console.attachment(conn, t["id"], attachment_id)

    row = await web.gateway.db.read(load) if canonical else None
    if row is None:
        return error_page(request, o, 404, o.t("con_photo_missing"))
    try:
        path = await web.gateway.media_public_copy(row["sha256"], row["content_type"])  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - e.g. an image bomb kept before the pixel limit: never a 500
        return error_page(request, o, 404, o.t("con_photo_missing"))
    return FileResponse(path, media_type=row["content_type"], headers={"cache-control": "private, max-age=3600"})
