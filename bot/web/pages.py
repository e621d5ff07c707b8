"""Public pages: home, tracking (/t/{id}), reopen (/t/{id}/buka), dashboards (staff sign-in: bot.web.signin)."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, time, timedelta
from typing import Any, Iterator, Literal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from bot.intake import reopen_refusal
from bot.lifecycle import Status, TransitionError
from bot.public import public_ticket
from store import duplicates as dup_store
from bot.tickets import transition
from bot.tracking import ALPHABET, normalize
from bot.web import charts, choropleth, queries
from bot.web.i18n import format_datetime
from bot.web.date_range import MAX_RANGE_DAYS, BadRange, DateRange, parse_range
from bot.web.reopen import ReopenLinks
from bot.web.security import BadToken, clean_text
from bot.web.state import WebState, get_state
from store import ratings as rating_figures
from store import repo
from store.figures import created_periods

router = APIRouter(tags=["public pages"])

HTML: dict[str, Any] = {"content": {"text/html": {"schema": {"type": "string"}}}}
CSV = {"content": {"text/csv": {"schema": {"type": "string"}}}}
_PAGE_ERRORS: dict[int | str, dict[str, Any]] = {400: {"description": "Bad request (HTML page with the reason)", **HTML},
                403: {"description": "Forged or expired form token (HTML page)", **HTML},
                404: {"description": "Not found (HTML page)", **HTML}}
_TOO_MANY = {"description": "Too many tracking lookups from this client (Retry-After says when to retry)", **HTML}
MAX_REOPEN_REASON = 1000
_AMBIGUOUS = set("01OIL")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=WebState.security_headers())


# --- home and lookup -------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse, summary="Home page")
async def home(request: Request) -> Response:
    web = get_state(request)
    lang = web.lang(request)
    return web.render(request, "home.html", lang, staff=await web.current_staff(request))


@router.get("/t", response_class=HTMLResponse, summary="Look up a tracking ID typed into a form",
            responses={303: {"description": "To the report's page"}, 404: _PAGE_ERRORS[404]})
async def lookup(request: Request, id: str = "") -> Response:
    # Not counted against the lookup budget: this only checks the check symbol, never the
    # database; the page it redirects to is counted.
    web = get_state(request)
    canonical = normalize(id[:40], web.prefix) if id else None
    if canonical:
        return _redirect(f"/t/{canonical}")
    return _not_found(request, web, id[:40])


def _too_many(request: Request, web: WebState, wait: int) -> Response:
    lang = web.lang(request)
    t = web.t(lang)
    return web.render(request, "message.html", lang, status=429, title=t("nf_title"), heading=t("nf_title"),
                      message=t("lookup_too_many", seconds=wait), tracking_id=None, kind="error",
                      headers={"retry-after": str(wait)})


def _not_found(request: Request, web: WebState, given: str) -> Response:
    lang = web.lang(request)
    bad = sorted({ch for ch in given.upper() if ch in _AMBIGUOUS}) if given else []
    return web.render(request, "not_found.html", lang, status=404, title=web.t(lang)("nf_title"),
                      given=given, bad_chars=bad, alphabet=ALPHABET)


# --- tracking page -------------------------------------------------------------------------

@router.get("/t/{tracking_id}", response_class=HTMLResponse, summary="Public tracking page of a report",
            responses={404: _PAGE_ERRORS[404], 429: _TOO_MANY})
async def ticket_page(tracking_id: str, request: Request) -> Response:
    web = get_state(request)
    wait = await web.lookup_wait(request)
    if wait:
        return _too_many(request, web, wait)
    lang = web.lang(request)
    canonical = normalize(tracking_id[:40], web.prefix)
    if canonical is None:
        return _not_found(request, web, tracking_id[:40])
    gw = web.gateway
    view = await gw.db.read(public_ticket, canonical, gw.templates, lang, web.base_url)
    if view is None:
        return _not_found(request, web, canonical)
    if canonical != tracking_id:
        return _redirect(f"/t/{canonical}" + (f"?lang={lang}" if "lang" in request.query_params else ""))
    now = web.now()
    closed = view["status"] in ("SELESAI", "DITOLAK")
    resolve_due = datetime.fromisoformat(view["resolve_due"]) if view["resolve_due"] else None
    coordinate_due = datetime.fromisoformat(view["coordinate_due"]) if view["coordinate_due"] else None
    reopen_until = None
    if view["status"] == "SELESAI" and view["resolved_at"]:
        reopen_until = datetime.fromisoformat(view["resolved_at"]) + timedelta(days=gw.config.intake.reopen_window_days)
        if reopen_until < now:
            reopen_until = None
    t = web.t(lang)
    return web.render(
        request, "ticket.html", lang, title=t("ticket_title", id=canonical), v=view,
        overdue=bool(not closed and resolve_due and resolve_due < now),
        coordinate_overdue=bool(view["status"] == "MENUNGGU" and coordinate_due and coordinate_due < now),
        proof_src=web.local_path(view["proof_photo_url"]), reopen_until=reopen_until,
        merged_into=await gw.db.read(dup_store.main_of, canonical) if view["status"] == "DITOLAK" else None,
        staff=await web.current_staff(request))


# --- reopen --------------------------------------------------------------------------------

_REOPEN_WHY = {"malformed": (400, "reopen_bad_link"), "signature": (403, "reopen_bad_link"),
               "purpose": (403, "reopen_bad_link"), "expired": (410, "reopen_expired"),
               "used": (410, "reopen_used"), "window_passed": (410, "reopen_expired"),
               "not_done": (409, "reopen_not_done")}


def _reopen_error(request: Request, web: WebState, lang: str, tracking_id: str, why: str) -> Response:
    status, key = _REOPEN_WHY.get(why, (400, "reopen_bad_link"))
    t = web.t(lang)
    return web.render(request, "message.html", lang, status=status, title=t("reopen_title"),
                      heading=t("reopen_title"), message=t(key), tracking_id=tracking_id, kind="error")


async def _reopen_target(request: Request, web: WebState, tracking_id: str, token: Any) -> tuple[Any, Any, str | None]:
    """(ticket, token body, refusal key) for a reopen link."""
    canonical = normalize(tracking_id[:40], web.prefix)
    if canonical is None or canonical != tracking_id:
        return None, None, "malformed"
    links = ReopenLinks(web.config, web.signer)
    try:
        body = links.check(token if isinstance(token, str) else None, canonical, web.now())
    except BadToken as exc:
        return None, None, exc.why
    ticket = await web.gateway.db.read(repo.ticket_by_tracking_id, canonical)
    if ticket is None:
        return None, None, "signature"
    if not links.matches(body, ticket):
        return ticket, body, "used"
    refusal = reopen_refusal(ticket, ticket["reporter_id"], web.now(), web.config.intake.reopen_window_days)
    return ticket, body, refusal


@router.get("/t/{tracking_id}/buka", response_class=HTMLResponse, summary="Confirm reopening a finished report",
            description="The one-time link sent to the reporter when the report was finished.",
            responses={**_PAGE_ERRORS, 409: {"description": "Not finished", **HTML},
                       410: {"description": "Link used or expired", **HTML}})
async def reopen_form(tracking_id: str, request: Request, token: str = "") -> Response:
    web = get_state(request)
    lang = web.lang(request)
    ticket, _, refusal = await _reopen_target(request, web, tracking_id, token)
    if refusal:
        return _reopen_error(request, web, lang, tracking_id[:40], refusal)
    return web.render(request, "reopen.html", lang, title=web.t(lang)("reopen_title"), tracking_id=tracking_id,
                      token=token, csrf=web.csrf_token(request, "reopen"), max_reason=MAX_REOPEN_REASON,
                      error=None, reason="")


@router.post("/t/{tracking_id}/buka", response_class=HTMLResponse, summary="Reopen a finished report",
             responses={**_PAGE_ERRORS, 409: {"description": "Not finished", **HTML},
                        410: {"description": "Link used or expired", **HTML}},
             openapi_extra={"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
                 "schema": {"type": "object", "required": ["token", "csrf"], "properties": {
                     "token": {"type": "string"}, "csrf": {"type": "string"},
                     "reason": {"type": "string", "maxLength": MAX_REOPEN_REASON}}}}}}})
async def reopen_submit(tracking_id: str, request: Request) -> Response:
    web = get_state(request)
    lang = web.lang(request)
    t = web.t(lang)
    form = await _form(request)
    if form is None:
        return _reopen_error(request, web, lang, tracking_id[:40], "malformed")
    token, reason = form.get("token"), form.get("reason") or ""
    reason = clean_text(reason) if isinstance(reason, str) else reason
    try:
        web.check_csrf(request, form.get("csrf"), "reopen")
    except BadToken:
        return _reopen_error(request, web, lang, tracking_id[:40], "signature")
    if not isinstance(reason, str) or len(reason) > MAX_REOPEN_REASON:
        return web.render(request, "reopen.html", lang, status=400, title=t("reopen_title"), tracking_id=tracking_id,
                          token=token if isinstance(token, str) else "", csrf=web.csrf_token(request, "reopen"),
                          max_reason=MAX_REOPEN_REASON, error=t("reopen_reason_too_long", n=MAX_REOPEN_REASON),
                          reason=reason[:MAX_REOPEN_REASON] if isinstance(reason, str) else "")
    links = ReopenLinks(web.config, web.signer)
    try:
        body = links.check(token if isinstance(token, str) else None, tracking_id, web.now())
    except BadToken as exc:
        return _reopen_error(request, web, lang, tracking_id[:40], exc.why)
    gw = web.gateway
    window = gw.config.intake.reopen_window_days

    def reopen(conn: Any) -> str | None:
        ticket = repo.ticket_by_tracking_id(conn, tracking_id)
        if ticket is None:
            return "signature"
        if not links.matches(body, ticket):
            return "used"
        now = gw.clock.now()
        refusal = reopen_refusal(ticket, ticket["reporter_id"], now, window)
        if refusal:
            return refusal
        try:
            transition(conn, gw.policy, now, ticket, Status.PROSES.value, "citizen:web", reopen=True,
                       reason=reason.strip() or None)
        except TransitionError:
            return "not_done"
        return None

    refusal = await gw.db.write(reopen)
    if refusal:
        return _reopen_error(request, web, lang, tracking_id, refusal)
    gw.dispatcher.wake()
    return web.render(request, "message.html", lang, title=t("reopen_title"), heading=t("reopen_done_title"),
                      message=t("reopen_done", id=tracking_id), tracking_id=tracking_id, kind="ok")


async def _form(request: Request, **limits: Any) -> Any:
    try:
        return await request.form(**limits)
    except Exception:  # noqa: BLE001 - any malformed body is a 400 for the caller
        return None


# --- dashboards ------------------------------------------------------------------------------

_RANGE_PARAMS = "`dari` / `sampai`: local days YYYY-MM-DD, at most three years apart"
# No content type named: a bad date range is an HTML page, a bad `warna` the validation error's JSON.
_BAD_RANGE = {"description": f"A bad date range ({_RANGE_PARAMS}, HTML page with the reason) or `warna`"}


@router.get("/dashboard", response_class=HTMLResponse, summary="City overview dashboard",
            description=f"Optional date range of report creation: {_RANGE_PARAMS}; `warna` colours the map "
                        "by open (terbuka) or overdue (terlambat) reports.",
            responses={303: {"description": "To a kelurahan's dashboard (?area=)"}, 400: _BAD_RANGE,
                       404: _PAGE_ERRORS[404]})
async def city_dashboard(request: Request, area: str = "", dari: str = "", sampai: str = "",
                         warna: Literal["terbuka", "terlambat"] = "terbuka") -> Response:
    web = get_state(request)
    if area:
        row = await web.gateway.db.read(queries.find_area, clean_text(area)[:140])
        if row is None:
            return _area_not_found(request, web)
        query = "&".join(f"{k}={quote(v)}" for k, v in (("dari", dari), ("sampai", sampai)) if v)
        return _redirect(f"/dashboard/{quote(row['slug'])}" + (f"?{query}" if query else ""))
    return await _dashboard(request, web, None, dari, sampai, warna)


_BAD_BY = {"description": "`by` is not category, source or area, or a bad date range"}
CsvBy = Literal["category", "source", "area"]


@router.get("/dashboard.csv", response_class=Response, summary="City overview as CSV (aggregates)",
            description=f"`by`: one row per category, source or kelurahan; {_RANGE_PARAMS}.",
            responses={200: CSV, 400: _BAD_BY})
async def city_dashboard_csv(request: Request, by: CsvBy = "category", dari: str = "", sampai: str = "") -> Response:
    web = get_state(request)
    return await _dashboard_csv(request, web, None, by, dari, sampai)


@router.get("/dashboard/{area}.csv", response_class=Response,
            summary="A kota's, kecamatan's or kelurahan's figures as CSV (aggregates)",
            description=f"`by`: one row per category, source or kelurahan; {_RANGE_PARAMS}.",
            responses={200: CSV, 400: _BAD_BY, 404: _PAGE_ERRORS[404]})
async def area_dashboard_csv(area: str, request: Request, by: CsvBy = "category", dari: str = "",
                             sampai: str = "") -> Response:
    web = get_state(request)
    row = await web.gateway.db.read(queries.find_area, area)
    if row is None:
        return _area_not_found(request, web)
    return await _dashboard_csv(request, web, row, by, dari, sampai)


@router.get("/dashboard/{area}", response_class=HTMLResponse,
            summary="A kota's, kecamatan's or kelurahan's dashboard (code or name slug)",
            description=f"Optional date range of report creation: {_RANGE_PARAMS}; `warna` colours the map "
                        "(kota and kecamatan) by open (terbuka) or overdue (terlambat) reports.",
            responses={400: _BAD_RANGE, 404: _PAGE_ERRORS[404]})
async def area_dashboard(area: str, request: Request, dari: str = "", sampai: str = "",
                         warna: Literal["terbuka", "terlambat"] = "terbuka") -> Response:
    web = get_state(request)
    row = await web.gateway.db.read(queries.find_area, area)
    if row is None:
        return _area_not_found(request, web)
    return await _dashboard(request, web, row, dari, sampai, warna)


def _area_not_found(request: Request, web: WebState) -> Response:
    lang = web.lang(request)
    t = web.t(lang)
    return web.render(request, "message.html", lang, status=404, title=t("dash_area_unknown_title"),
                      heading=t("dash_area_unknown_title"), message=t("dash_area_unknown"), tracking_id=None,
                      kind="error")


def _date_range(request: Request, web: WebState, dari: str, sampai: str) -> DateRange | Response | None:
    """The requested range, None for all time, or the 400 page saying what is wrong with it."""
    try:
        return parse_range(clean_text(dari)[:20], clean_text(sampai)[:20], web.now().astimezone(web.tz).date())
    except BadRange as bad:
        lang = web.lang(request)
        t = web.t(lang)
        return web.render(request, "message.html", lang, status=400, title=t("dash_range_bad_title"),
                          heading=t("dash_range_bad_title"), message=t(bad.key, **bad.params), tracking_id=None,
                          kind="error")


def _periods(dates: DateRange | None) -> list[str] | None:
    return None if dates is None else created_periods(dates.first, dates.last)


async def _dashboard(request: Request, web: WebState, area: Any, dari: str, sampai: str, warna: str) -> Response:
    dates = _date_range(request, web, dari, sampai)
    if isinstance(dates, Response):
        return dates
    lang = web.lang(request)
    t = web.t(lang)
    gw = web.gateway
    now = web.now()
    staff = await web.current_staff(request)

    codes = web.area_codes(area)
    scope, sees_tickets = web.staff_scope(staff)
    periods = _periods(dates)
    # The SLA report covers this month and the two before it, from their first day: whole months are read
    # from the figures; a period starting mid-month would recompute that month's part from its tickets.
    local = now.astimezone(web.tz)
    perf_since = datetime(local.year + (local.month - 3) // 12, (local.month - 3) % 12 + 1, 1, tzinfo=web.tz)

    def load(conn: Any) -> dict[str, Any]:
        data = queries.dashboard(conn, codes, now, web.tz, periods=periods)
        chain = queries.area_chain(conn, area["code"]) if area is not None else []
        # The SLA report is city-wide per agency: shown on the city overview (all time only: it has its
        # own period); a kelurahan's page shows its own agencies' figures (below), computed for its tickets.
        perf = queries.performance_rows(conn, perf_since, now, now) if area is None and dates is None else None
        listing = queries.staff_tickets(conn, scope, codes) if sees_tickets else None
        names = queries.names_for(conn, [r["area_code"] for r in listing or []])
        areas = queries.all_areas(conn)
        children = (queries.children_figures(areas, area["code"] if area is not None else None, data.by_area)
                    if area is None or area["level"] != "kelurahan" else [])
        return {"data": data, "chain": chain, "perf": perf, "listing": listing, "area_names": names,
                "pickers": queries.kelurahan_options(conn), "ratings": rating_figures.dashboard(conn, codes),
                "areas": areas, "children": children}

    async def compute() -> dict[str, Any]:
        return await gw.db.read_heavy(load)  # aggregates: never on the readers /t/{id} needs

    # Anonymous visitors share one computation per page for http.public_cache_seconds; officers
    # see their own ticket listing, computed for them.
    key = ("dashboard", area["code"] if area is not None else None, dates)
    got = await (web.public_cache.get(key, compute) if staff is None else compute())
    data = got["data"]
    name_key = "name_en" if lang == "en" else "name_id"
    week_labels = [f"{w['start'].day}/{w['start'].month}" for w in data.weeks]
    sla_svg = charts.sla_chart(
        data.weeks, title=t("dash_sla_chart_title"), desc=t("dash_sla_chart_desc"), labels=week_labels,
        due_label=t("dash_sla_due"), pct_label=t("dash_sla_on_time"), target_pct=None)
    cat_svg = charts.hbar_chart([(c[name_key], c["total"]) for c in data.categories[:12]],
                                title=t("dash_by_category"), chart_id="cats")
    title = t("dash_city_title") if area is None else t("dash_area_title", name=area["name"])
    range_query = "" if dates is None else f"dari={dates.first.isoformat()}&sampai={dates.last.isoformat()}"
    base_url = "/dashboard" if area is None else f"/dashboard/{quote(area['slug'])}"
    csv_url = base_url + ".csv" + (f"?{range_query}" if range_query else "")
    the_map = _map(web, t, area, got["areas"], data.by_area, warna, range_query)
    return web.render(
        request, "dashboard.html", lang, title=title, area=area, chain=got["chain"], d=data, name_key=name_key,
        sla_svg=sla_svg, cat_svg=cat_svg, week_labels=week_labels, perf=got["perf"], csv_url=csv_url,
        listing=got["listing"], area_names=got["area_names"], pickers=got["pickers"], staff=staff,
        status_order=queries.STATUS_ORDER, status_label=lambda s: gw.templates.status_label(s, lang), now=now,
        ratings=got["ratings"], dates=dates, range_query=range_query, base_url=base_url, children=got["children"],
        map=the_map,
        warna=warna, max_range_days=MAX_RANGE_DAYS, range_text=_range_text(web, t, lang, dates),
        perf_since=format_datetime(perf_since, lang, web.tz, with_time=False))


def _range_text(web: WebState, t: Any, lang: str, dates: DateRange | None) -> str | None:
    if dates is None:
        return None
    first, last = (format_datetime(datetime.combine(d, time(), web.tz), lang, web.tz, with_time=False)
                   for d in (dates.first, dates.last))
    return str(t("dash_range_active", first=first, last=last))


def _map(web: WebState, t: Any, area: Any, areas: dict[str, dict[str, Any]], by_area: dict[str, dict[str, int]],
         warna: str, range_query: str) -> dict[str, Any] | None:
    """The choropleth of the kelurahan of the province, a kota or a kecamatan (None on a kelurahan's page
    or without polygons): the SVG, its legend, and the same figures as table rows."""
    if area is not None and area["level"] == "kelurahan":
        return None
    inside = set(web.area_codes(area) or areas)
    kelurahan = sorted((a for code, a in areas.items() if a["level"] == "kelurahan" and code in inside),
                       key=lambda a: a["name"])
    figure = "overdue" if warna == "terlambat" else "open"
    suffix = f"?{range_query}" if range_query else ""
    items = [choropleth.MapArea(a["code"], a["name"], f"/dashboard/{quote(a['slug'])}{suffix}",
                                (by_area.get(a["code"]) or {}).get(figure, 0)) for a in kelurahan]
    value_label = t("dash_map_value_overdue" if figure == "overdue" else "dash_map_value_open")
    svg, legend = choropleth.render(web.gateway.boundary_loader.map_shapes, items, colour_by=warna,
                                    title=t("dash_map_title"), desc=t("dash_map_desc", what=value_label),
                                    value_label=value_label, inset_label=t("dash_map_inset"))
    if not legend:
        return None
    rows = [{"name": a["name"], "slug": a["slug"], **(by_area.get(a["code"]) or {"total": 0, "open": 0, "overdue": 0})}
            for a in kelurahan]
    return {"svg": svg, "legend": legend, "rows": rows, "value_label": value_label}


_CSV_DANGER = re.compile(r"^[=+\-@\t\r]")


def _cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and _CSV_DANGER.match(value):
        return "'" + value
    return value


async def _dashboard_csv(request: Request, web: WebState, area: Any, by: str, dari: str, sampai: str) -> Response:
    dates = _date_range(request, web, dari, sampai)
    if isinstance(dates, Response):
        return dates
    now = web.now()
    codes = web.area_codes(area)
    periods = _periods(dates)

    def load(conn: Any) -> Any:
        return queries.dashboard(conn, codes, now, web.tz, periods=periods), queries.all_areas(conn)

    async def compute() -> Any:
        return await web.gateway.db.read_heavy(load)

    data, areas = await web.public_cache.get(("dashboard", "csv", area["code"] if area is not None else None, dates),
                                             compute)
    span = "" if dates is None else f"-{dates.first.isoformat()}-{dates.last.isoformat()}"
    filename = f"aduan-{(area['slug'] if area is not None else 'jakarta')}{span}-{now.date().isoformat()}.csv"
    headers = {"content-disposition": f'attachment; filename="{filename}"', "x-content-type-options": "nosniff",
               "cache-control": "no-store"}
    rows = _area_rows(data, areas) if by == "area" else _dashboard_rows(data, area, by == "source")
    return StreamingResponse(_csv_chunks(rows), media_type="text/csv; charset=utf-8", headers=headers)


def _area_rows(data: Any, areas: dict[str, dict[str, Any]]) -> Iterator[list[Any]]:
    """One row per kelurahan of the scope with reports: tickets and open ones (in the date range, if any),
    overdue now."""
    yield ["area_code", "area_name", "total", "open", "overdue"]
    for code in sorted(data.by_area):
        figures = data.by_area[code]
        name = (areas.get(code) or {}).get("name", "")
        yield [_cell(code), _cell(name), figures["total"], figures["open"], figures["overdue"]]


def _dashboard_rows(data: Any, area: Any, by_source: bool) -> Iterator[list[Any]]:
    """The CSV's rows, one at a time: a header, one per category (or per source: the channel or walk-in
    origin reports came in by), the total."""
    statuses = queries.STATUS_ORDER
    keys = ["source"] if by_source else ["category_code", "category_name_id", "category_name_en"]
    yield ["area_code", "area_name", *keys, "total", *[s.lower() for s in statuses], "overdue", "done_on_time",
           "done_on_time_pct"]
    code, name = (area["code"], area["name"]) if area is not None else ("", "DKI Jakarta")
    for c in (data.sources if by_source else data.categories):
        key = [c["code"] or ""] if by_source else [c["code"], c["name_id"], c["name_en"]]
        yield [_cell(code), _cell(name), *[_cell(k) for k in key], c["total"],
               *[c["by_status"].get(s, 0) for s in statuses], c["overdue"], c["on_time"],
               "" if c["on_time_pct"] is None else c["on_time_pct"]]
    done = data.by_status.get("SELESAI", 0)
    on_time = sum(c["on_time"] for c in data.categories)
    yield [_cell(code), _cell(name), "TOTAL", *([] if by_source else ["", ""]), data.total,
           *[data.by_status.get(s, 0) for s in statuses], data.overdue_count, on_time,
           round(100 * on_time / done) if done else ""]


def _csv_chunks(rows: Iterator[list[Any]], per_chunk: int = 500) -> Iterator[bytes]:
    """CSV text in chunks of ``per_chunk`` rows: the response never holds the whole file."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for i, row in enumerate(rows, 1):
        w.writerow(row)
        if i % per_chunk == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode("utf-8")
