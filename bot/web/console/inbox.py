"""The inbox (/petugas): tickets in the officer's scope, filtered, searched, nearest deadline first, in pages.

Scope is ``bot.staff.scope.ticket_scope``, the rule of ``daftar``; the
kelurahan/agency filters are read as ``daftar`` reads them. Fresh without
reloading: the page polls ``/petugas/perubahan`` (a primary-key probe on the
audit events) and swaps in the new list; without JavaScript a refresh link and
a ``<noscript>`` meta refresh do the same.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from bot.public import identities
from bot.redact import redact
from bot.staff.commands.parse import COUNTER, ORIGINS, parse_status
from bot.staff.scope import NoScope, ticket_scope
from bot.web.console.common import PAGE_ERRORS, Officer, deadline_words, officer
from bot.web.console.search import parse_search
from bot.web.security import clean_text
from store import console as store_console

router = APIRouter()

PAGE_SIZE = 25
SOON_HOURS = 24
REFRESH_SECONDS = 30  # the meta refresh without JavaScript
CHANGES_LIMIT = 50


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _cursor(value: str) -> tuple[datetime, int] | None:
    due, _, tid = value.partition("~")
    try:
        return datetime.fromisoformat(due), int(tid)
    except ValueError:
        return None


def build_filter(o: Officer, params: Any, now: datetime) -> tuple[store_console.InboxFilter, dict[str, str], Any]:
    """The filter, the values to show in the form, and the search (with its corrected-ID flag)."""
    directory = o.web.gateway.staff.directory
    # Control characters out (NUL above all: PostgreSQL refuses it in a text parameter).
    shown = {k: clean_text(str(params.get(k, "")))[:80] for k in ("status", "due", "kategori", "kelurahan", "instansi",
                                                                  "saya", "kanal", "dari", "sampai", "q")}
    f = store_console.InboxFilter(status=parse_status(shown["status"]) if shown["status"] else None)
    if shown["due"] in ("overdue", "soon"):
        f.due, f.soon_before = shown["due"], now + timedelta(hours=SOON_HOURS)
    if shown["kategori"] in o.web.gateway.staff.engine.categories:
        f.category = shown["kategori"]
    if shown["kelurahan"] in directory.areas:
        f.areas = directory.area_descendants(shown["kelurahan"])
    agency = directory.agency_code(shown["instansi"]) if shown["instansi"] else None
    if agency:
        f.agencies = directory.agency_descendants(agency)
    if shown["saya"]:
        f.assignee = o.member.code
    f.source = shown["kanal"] or None
    tz = o.web.tz
    start, end = _date(shown["dari"]), _date(shown["sampai"])
    if start:
        f.created_from = datetime.combine(start, time(), tz)
    if end:
        f.created_until = datetime.combine(end + timedelta(days=1), time(), tz)
    search = parse_search(shown["q"], o.web.prefix)
    f.tracking_ids, f.words = search.tracking_ids, search.words
    if search.corrected and not search.tracking_ids:
        f.tracking_ids = ["-"]  # an ID that cannot be corrected finds nothing (never "everything")
    return f, shown, search


def _rows(conn: Any, scope: Any, f: store_console.InboxFilter, now: datetime,
          after: tuple[datetime, int] | None) -> dict[str, Any]:
    rows = store_console.inbox(conn, scope, f, now, PAGE_SIZE + 1, after)
    who = identities(conn, rows[:PAGE_SIZE])
    for r in rows[:PAGE_SIZE]:  # officers see the problem, never who reported it
        r["description"] = redact(r["description"], who[r["id"]])[:160]
    return {"rows": rows, "assignees": store_console.assignees(conn, [r["id"] for r in rows]),
            "version": store_console.latest_event_id(conn)}


@router.get("/petugas", response_class=HTMLResponse, summary="Officer's inbox: tickets in scope, nearest deadline first",
            responses=PAGE_ERRORS)
async def inbox_page(request: Request, status: str = "", due: str = "", kategori: str = "", kelurahan: str = "",
                     instansi: str = "", saya: str = "", kanal: str = "", dari: str = "", sampai: str = "",
                     q: str = "", after: str = "") -> Response:
    o = await officer(request)
    if isinstance(o, Response):
        return o
    web, now = o.web, o.web.now()
    f, shown, search = build_filter(o, request.query_params, now)
    try:
        scope = ticket_scope(web.gateway.staff.directory, o.member)
    except NoScope:
        scope = None
        got: dict[str, Any] = {"rows": [], "assignees": {}, "version": 0}
        no_scope = True
    else:
        no_scope = False
        got = await web.gateway.db.read(_rows, scope, f, now, _cursor(after[:80]) if after else None)
    rows = got["rows"]
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    t = web.t(o.lang)
    for r in rows:
        r["due_words"], r["late"] = deadline_words(r["resolve_due"], now, t)
        r["mine"] = got["assignees"].get(r["id"]) == o.member.code
    params = {k: v for k, v in shown.items() if v}
    self_url = "/petugas" + (f"?{urlencode(params)}" if params else "")
    next_url = None
    if more:
        cursor = f"{rows[-1]['resolve_due'].isoformat()}~{rows[-1]['id']}"
        next_url = "/petugas?" + urlencode({**params, "after": cursor})
    directory = web.gateway.staff.directory
    kelurahan_opts = sorted((a for a in directory.areas.values() if a.level == "kelurahan"
                             and (scope is None or not o.member.area or directory.area_within(a.code, o.member.area))),
                            key=lambda a: a.name)
    return web.render(
        request, "console/inbox.html", o.lang, title=t("con_inbox_title"), staff=o.row, rows=rows,
        shown=shown, self_url=self_url, next_url=next_url, first_page=not after, no_scope=no_scope, search=search,
        version=got["version"], refresh=REFRESH_SECONDS,
        sources=[*sorted(web.gateway.registry.channels()), *ORIGINS, COUNTER],
        statuses=_statuses(),
        status_label=lambda s: web.gateway.templates.status_label(s, o.lang),
        categories=sorted(web.gateway.staff.engine.categories.values(), key=lambda c: c.code),
        agencies=sorted(directory.agency_names.items()), kelurahan_opts=kelurahan_opts,
        area_name=directory.area_name, source_label=lambda s: _source_label(t, s),
        category_name=lambda code: web.gateway.staff.engine.category(code, o.lang))


def _statuses() -> list[str]:
    from bot.lifecycle import Status

    return [s.value for s in Status]


def _source_label(t: Any, source: str | None) -> str:
    if not source:
        return "-"
    try:
        return t(f"con_source_{source}")
    except KeyError:
        return source


@router.get("/petugas/perubahan", summary="Tickets in the officer's scope changed since an event id (for the inbox)",
            responses={200: {"description": "The newest event id and the tracking IDs changed since `since`",
                             "content": {"application/json": {"schema": {"type": "object", "properties": {
                                 "version": {"type": "integer"},
                                 "changed": {"type": "array", "items": {"type": "string"}}}}}}},
                       400: {"description": "`since` is not an integer"},
                       401: {"description": "Not signed in"}, 403: {"description": "Not an officer"}})
async def changes(request: Request, since: int = 0) -> Response:
    o = await officer(request)
    if isinstance(o, Response):
        return JSONResponse({"detail": "sign in"}, status_code=401 if o.status_code == 303 else 403)
    since = max(0, min(since, 2**62))

    def load(conn: Any) -> dict[str, Any]:
        version = store_console.latest_event_id(conn)
        try:
            scope = ticket_scope(o.web.gateway.staff.directory, o.member)
        except NoScope:
            return {"version": version, "changed": []}
        changed = store_console.changed_since(conn, scope, since, CHANGES_LIMIT) if since < version else []
        return {"version": version, "changed": changed}

    return JSONResponse(await o.web.gateway.db.read(load), headers={"cache-control": "no-store"})
