"""Read-only queries behind the public pages: areas, dashboard aggregates, staff lists.

Plain SQLAlchemy Core with bound parameters, identical on SQLite and
PostgreSQL. Everything here returns aggregates or public fields only;
the staff list is the one place with descriptions, and never the reporter
(``bot.web.queries.staff_tickets`` redacts them).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, RowMapping, and_, case, func, or_, select, text, true
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from bot.lifecycle import CLOSED_STATUSES, OPEN_STATUSES, Status
from store import figures, repo
from store.figures import TABLES as FIGURES
from store.figures import week_start
from store.tables import OPEN_CONDITION

T, A, AG, C, S = repo.T_TICKET, repo.T_AREA, repo.T_AGENCY, repo.T_CATEGORY, repo.T_STAFF
F, W = FIGURES["fig_count"], FIGURES["fig_week"]
FC, OD = FIGURES["fig_created"], FIGURES["fig_open_due"]
CITY, AREA = FIGURES["fig_city"], FIGURES["fig_area"]
OPEN = sorted(s.value for s in OPEN_STATUSES)
CLOSED = sorted(s.value for s in CLOSED_STATUSES)
STATUS_ORDER = [s.value for s in Status]
# The CRM's three public colours, and grey for rejected reports.
STATUS_GROUPS = {"red": ["MENUNGGU"], "yellow": ["KOORDINASI", "DISPOSISI", "PROSES", "MENUNGGU_VALIDASI", "TL_DITOLAK"],
                 "green": ["SELESAI"], "grey": ["DITOLAK"]}


# --- areas -------------------------------------------------------------------------

def find_area(conn: Connection, key: str) -> RowMapping | None:
    """An area by Kemendagri code or name slug; a kelurahan wins over a kecamatan of the same name."""
    key = key.strip().lower()
    if not key or len(key) > 140 or not key.isprintable():
        return None
    row = conn.execute(select(A).where(A.c.code == key)).mappings().first()
    if row is not None:
        return row
    rows = conn.execute(select(A).where(A.c.slug == key)).mappings().all()
    rank = {"kelurahan": 0, "kecamatan": 1, "kota": 2}
    return min(rows, key=lambda r: rank.get(r["level"], 9)) if rows else None


def area_chain(conn: Connection, code: str | None) -> list[RowMapping]:
    """The area and its parents, innermost first."""
    chain: list[RowMapping] = []
    while code and len(chain) < 5:
        row = conn.execute(select(A).where(A.c.code == code)).mappings().first()
        if row is None:
            break
        chain.append(row)
        code = row["parent_code"]
    return chain


def kelurahan_options(conn: Connection) -> list[dict[str, Any]]:
    """Kelurahan grouped by kota and kecamatan, for the pickers."""
    rows = conn.execute(select(A.c.code, A.c.name, A.c.level, A.c.parent_code, A.c.slug)).mappings().all()
    by_code = {r["code"]: r for r in rows}
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        if r["level"] != "kelurahan":
            continue
        kec = by_code.get(r["parent_code"] or "")
        kota = by_code.get(kec["parent_code"] or "") if kec else None
        label = f"{_short_kota(kota['name']) if kota else ''} / Kec. {kec['name'] if kec else '?'}"
        groups[label].append({"code": r["code"], "name": r["name"], "slug": r["slug"]})
    return [{"label": k, "items": sorted(v, key=lambda i: i["name"])} for k, v in sorted(groups.items())]


def all_areas(conn: Connection) -> dict[str, dict[str, Any]]:
    """Every area by code (a few hundred rows): the dashboards' children lists and map labels."""
    return {r["code"]: dict(r) for r in conn.execute(select(A.c.code, A.c.name, A.c.level, A.c.parent_code, A.c.slug))
            .mappings()}


def children_figures(areas: dict[str, dict[str, Any]], parent: str | None,
                     by_area: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """The areas directly inside ``parent`` (None: the kota of the province), each with the sum of its
    kelurahan's figures (``Dashboard.by_area``), by name."""
    children = {code: {**a, "total": 0, "open": 0, "overdue": 0} for code, a in areas.items()
                if (a["parent_code"] == parent if parent is not None else a["level"] == "kota")}
    for code, area_figures in by_area.items():
        node: str | None = code
        for _ in range(5):  # kelurahan -> kecamatan -> kota
            if node is None or node in children:
                break
            node = (areas.get(node) or {}).get("parent_code")
        if node in children:
            for k in ("total", "open", "overdue"):
                children[node][k] += area_figures[k]
    return sorted(children.values(), key=lambda c: c["name"])


def _short_kota(name: str) -> str:
    for prefix in ("Kota Administrasi ", "Kabupaten Administrasi "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


# --- the dashboard -----------------------------------------------------------------

@dataclass
class Dashboard:
    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_colour: dict[str, int] = field(default_factory=dict)
    overdue_count: int = 0
    categories: list[dict[str, Any]] = field(default_factory=list)
    agencies: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)  # by ticket.source: channel or walk-in origin
    overdue: list[dict[str, Any]] = field(default_factory=list)
    weeks: list[dict[str, Any]] = field(default_factory=list)
    # Per kelurahan of the scope: total and open (in the date range, if any), overdue (now).
    by_area: dict[str, dict[str, int]] = field(default_factory=dict)
    performance_source: str = "dashboard"


def _scope(areas: list[str] | None) -> Any:
    return T.c.area_code.in_(areas) if areas is not None else true()


# (category, agency, source, status) -> (tickets, SELESAI on time)
Counts = dict[tuple[str, str, str, str], tuple[int, int]]


def dashboard(conn: Connection, areas: list[str] | None, now: datetime, tz: ZoneInfo, *, weeks: int = 12,
              overdue_limit: int = 50, periods: list[str] | None = None) -> Dashboard:
    """Aggregates for one area subtree (``areas``) or the whole city (None); with ``periods``
    (``store.figures.created_periods``) the counts are of the tickets created in that date range.

    Counts come from the figures (``store.figures``: fig_count or fig_created, fig_open_due, fig_week),
    never from the ticket history; only what depends on the time of the request within today (deadlines
    passed since midnight, this week's deadlines, the oldest overdue tickets) is read from the tickets
    through indexes."""
    d = Dashboard()
    scope = city_scope(conn, areas)
    counts = _counts(conn, areas, periods, scope)
    # All time, the open tickets are in the counts already: overdue needs only the deadlines ahead.
    open_now = None if periods is not None else _open_counts(counts)
    overdue = overdue_counts(conn, areas, now, tz, ("category_code", "agency_code", "source"), scope=scope,
                             open_now=open_now)

    for (_cat, _agency, _source, status), (n, _on_time) in counts.items():
        d.by_status[status] = d.by_status.get(status, 0) + n
    d.by_status = {s: d.by_status[s] for s in sorted(d.by_status)}
    d.total = sum(d.by_status.values())
    d.by_colour = {colour: sum(d.by_status.get(s, 0) for s in members) for colour, members in STATUS_GROUPS.items()}
    d.overdue_count = sum(overdue.values())

    d.categories = _grouped(counts, overdue, 0)
    names = {r["code"]: r for r in conn.execute(select(C)).mappings()}
    for row in d.categories:
        cat = names.get(row["code"])
        row["name_id"] = cat["name_id"] if cat else row["code"]
        row["name_en"] = cat["name_en"] if cat else row["code"]
    d.categories.sort(key=lambda r: (-r["total"], r["code"]))

    d.agencies = _grouped(counts, overdue, 1)
    agency_names = dict(conn.execute(select(AG.c.code, AG.c.name)).all())
    for row in d.agencies:
        row["name"] = agency_names.get(row["code"], row["code"]) if row["code"] else None
    d.agencies.sort(key=lambda r: (-r["total"], r["code"] or ""))
    d.sources = sorted(_grouped(counts, overdue, 2), key=lambda r: (-r["total"], r["code"] or ""))
    d.by_area = _by_area(conn, areas, periods, overdue_counts(conn, areas, now, tz, ("area_code",)))

    # The open condition spelled as the partial indexes' (ix_ticket_open_due, ix_ticket_open_area_code_due),
    # so SQLite can use them: the oldest deadlines come first from the index, no sort of every late ticket.
    late = and_(text(OPEN_CONDITION), T.c.resolve_due < now)
    q = (select(T.c.tracking_id, T.c.category_code, T.c.agency_code, T.c.created_at, T.c.resolve_due, T.c.status)
         .where(_scope(areas), late).order_by(T.c.resolve_due, T.c.id).limit(overdue_limit))
    for r in conn.execute(q).mappings():
        cat = names.get(r["category_code"])
        d.overdue.append({
            "tracking_id": r["tracking_id"], "category_code": r["category_code"],
            "name_id": cat["name_id"] if cat else r["category_code"], "name_en": cat["name_en"] if cat else r["category_code"],
            "agency": agency_names.get(r["agency_code"] or "", r["agency_code"]),
            "status": r["status"], "created_at": r["created_at"], "resolve_due": r["resolve_due"],
            "age_days": max(0, (now - r["created_at"]).days),
            "late_days": max(0, (now - r["resolve_due"]).days),
        })
    d.weeks = weekly_sla(conn, areas, now, tz, weeks)
    return d


def city_scope(conn: Connection, areas: list[str] | None) -> str | None:
    """The fig_city scope holding exactly the tickets of ``areas``: '' for the province (None), a kota's code
    when ``areas`` is that kota and every area in it (``store.figures.kota_of``); None for any other list."""
    if areas is None:
        return ""
    tree = figures.area_tree(conn)  # a few hundred rows
    kotas = [code for code in areas if tree.get(code, ("", None))[0] == figures.KOTA]
    if len(kotas) != 1:
        return None
    inside = {code for code in tree if figures.kota_of(tree, code) == kotas[0]}
    return kotas[0] if inside == set(areas) else None


def _count_table(areas: list[str] | None, periods: list[str] | None, scope: str | None) -> tuple[Any, list[Any]]:
    """The smallest table holding the counts of the scope, and its conditions: for the province or a kota
    fig_city (period '' is all time; no kelurahan in the key: about a thousand rows a period), for other
    lists of kelurahan fig_count (all time) or fig_created (the periods of a date range)."""
    if scope is not None:
        return CITY, [CITY.c.period.in_(periods or [""]), CITY.c.scope == scope]
    if periods is None:
        return F, [F.c.area_code.in_(areas or [])]
    return FC, [FC.c.period.in_(periods), FC.c.area_code.in_(areas or [])]


def _counts(conn: Connection, areas: list[str] | None, periods: list[str] | None, scope: str | None) -> Counts:
    """(category, agency, source, status) -> (tickets, SELESAI on time) of the scope."""
    table, where = _count_table(areas, periods, scope)
    q = (select(table.c.category_code, table.c.agency_code, table.c.source, table.c.status, func.sum(table.c.n),
                func.sum(table.c.on_time))
         .where(*where).group_by(table.c.category_code, table.c.agency_code, table.c.source, table.c.status))
    return {(cat, agency, source, status): (int(n), int(on_time))
            for cat, agency, source, status, n, on_time in conn.execute(q) if n}


def _by_area(conn: Connection, areas: list[str] | None, periods: list[str] | None,
             overdue: dict[tuple[Any, ...], int]) -> dict[str, dict[str, int]]:
    """Per kelurahan: tickets and open tickets (of the date range, if any; fig_area), and overdue now."""
    where = [AREA.c.period.in_(periods or [""])] + ([] if areas is None else [AREA.c.area_code.in_(areas)])
    out: dict[str, dict[str, int]] = {}

    def row(code: str) -> dict[str, int]:
        return out.setdefault(code, {"total": 0, "open": 0, "overdue": 0})

    for code, n, n_open in conn.execute(select(AREA.c.area_code, func.sum(AREA.c.n), func.sum(AREA.c.open_n))
                                        .where(*where).group_by(AREA.c.area_code)):
        if n:
            row(code)["total"] += int(n)
            row(code)["open"] += int(n_open)
    for (code,), n in overdue.items():
        row(code)["overdue"] += n
    return out


_TICKET_KEYS = {"area_code": func.coalesce(T.c.area_code, ""), "category_code": T.c.category_code,
                "agency_code": func.coalesce(T.c.agency_code, ""),
                "source": func.coalesce(func.nullif(T.c.source, ""), T.c.channel, "")}


def _open_counts(counts: Counts) -> dict[tuple[Any, ...], int]:
    """(category, agency, source) -> open tickets, from all-time counts."""
    out: dict[tuple[Any, ...], int] = defaultdict(int)
    for (cat, agency, source, status), (n, _on_time) in counts.items():
        if status in OPEN:
            out[(cat, agency, source)] += n
    return out


def overdue_counts(conn: Connection, areas: list[str] | None, now: datetime, tz: ZoneInfo,
                   by: tuple[str, ...], *, scope: str | None = None,
                   open_now: dict[tuple[Any, ...], int] | None = None) -> dict[tuple[Any, ...], int]:
    """Open tickets past their resolve deadline at ``now``, grouped by the ``by`` columns (area_code,
    category_code, agency_code, source; '' for none).

    Deadlines before today (local) are the open tickets (all time, from fig_area or fig_city) less those
    due from today on (fig_open_due from today: the deadlines ahead, a few weeks, not the history); for
    a list of kelurahan grouped otherwise than by area, fig_open_due's days before today of those areas.
    Today's deadlines up to now come from the open tickets due since midnight (ix_ticket_status_resolve_due):
    at most a day of deadlines, never the history. ``open_now``: the open tickets grouped by ``by``, when
    the caller has them; ``scope``: the fig_city scope of ``areas`` (``city_scope``), if any."""
    today = (now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)).astimezone(tz).date()
    midnight = datetime.combine(today, time(), tz).astimezone(timezone.utc)
    if now.tzinfo is None:  # compare like with like
        midnight = midnight.replace(tzinfo=None)
    out: dict[tuple[Any, ...], int] = defaultdict(int)
    cols = [OD.c[k] for k in by]
    in_areas = [] if areas is None else [OD.c.area_code.in_(areas)]
    if open_now is None:
        query = _open_now(areas, by, "" if areas is None else scope)
        if query is not None:
            open_now = {tuple(key): int(n or 0) for *key, n in conn.execute(query)}
    if open_now is None:
        days = select(*cols, func.sum(OD.c.n)).where(OD.c.due_day < today.isoformat(), *in_areas).group_by(*cols)
        for *key, n in conn.execute(days):
            out[tuple(key)] += int(n or 0)
    else:
        for group, n in open_now.items():
            out[group] += n
        ahead = select(*cols, func.sum(OD.c.n)).where(OD.c.due_day >= today.isoformat(), *in_areas).group_by(*cols)
        for *key, n in conn.execute(ahead):
            out[tuple(key)] -= int(n or 0)
    keys = [_TICKET_KEYS[k] for k in by]
    since_midnight = (select(*keys, func.count()).where(_scope(areas), text(OPEN_CONDITION),
                                                        T.c.resolve_due >= midnight, T.c.resolve_due < now)
                      .group_by(*keys))
    for *key, n in conn.execute(since_midnight):
        out[tuple(key)] += int(n)
    return {k: n for k, n in out.items() if n}


def _open_now(areas: list[str] | None, by: tuple[str, ...], scope: str | None) -> Any | None:
    """The open tickets of the scope grouped by ``by``, from a roll-up (None: no roll-up has that grouping)."""
    if by == ("area_code",):
        return (select(AREA.c.area_code, func.sum(AREA.c.open_n))
                .where(AREA.c.period == "", *([] if areas is None else [AREA.c.area_code.in_(areas)]))
                .group_by(AREA.c.area_code))
    if scope is not None and "area_code" not in by:
        cols = [CITY.c[k] for k in by]
        return (select(*cols, func.sum(CITY.c.n))
                .where(CITY.c.period == "", CITY.c.scope == scope, CITY.c.status.in_(OPEN)).group_by(*cols))
    return None


def _grouped(counts: Counts, overdue: dict[tuple[Any, ...], int], index: int) -> list[dict[str, Any]]:
    """Rows per category (index 0), agency (1) or source (2): totals, by status, on time, overdue
    (``overdue`` keyed by category, agency, source)."""
    rows: dict[Any, dict[str, Any]] = {}

    def row(k: Any) -> dict[str, Any]:
        return rows.setdefault(k, {"code": k, "total": 0, "open": 0, "done": 0, "rejected": 0, "overdue": 0,
                                   "on_time": 0, "by_status": {}})

    for k4, (n, on_time) in sorted(counts.items()):
        status = k4[3]
        r = row(k4[index] or None)  # '' in the figures is a ticket without agency / category
        r["total"] += n
        r["by_status"][status] = r["by_status"].get(status, 0) + n
        r["on_time"] += on_time
        if status == "SELESAI":
            r["done"] += n
        elif status == "DITOLAK":
            r["rejected"] += n
        else:
            r["open"] += n
    for k3, n in overdue.items():
        row(k3[index] or None)["overdue"] += n
    for r in rows.values():
        r["on_time_pct"] = round(100 * r["on_time"] / r["done"]) if r["done"] else None
    return list(rows.values())


def weekly_sla(conn: Connection, areas: list[str] | None, now: datetime, tz: ZoneInfo, weeks: int) -> list[dict[str, Any]]:
    """Per week (Monday, local time): tickets whose resolve deadline fell in it, and how many were
    handled (SELESAI, or closed as DITOLAK) by that deadline. Weeks whose deadlines are still
    ahead are counted only up to now.

    Past weeks come from fig_week; the current week, whose deadlines are counted up to now, from
    the tickets due since its Monday (ix_ticket_resolve_due_status)."""
    this_week = week_start(now, tz)
    first = this_week - timedelta(weeks=weeks - 1)
    buckets: list[dict[str, Any]] = [{"start": first + timedelta(weeks=i), "due": 0, "on_time": 0, "late": 0} for i in range(weeks)]
    index_of = {b["start"].date().isoformat(): i for i, b in enumerate(buckets[:-1])}
    where = [W.c.area_code.in_(areas)] if areas is not None else []
    for week, due, on_time in conn.execute(select(W.c.week, func.sum(W.c.due), func.sum(W.c.on_time))
                                           .where(W.c.week.in_(list(index_of)), *where).group_by(W.c.week)):
        b = buckets[index_of[week]]
        b["due"], b["on_time"], b["late"] = int(due), int(on_time), int(due) - int(on_time)
    current = buckets[-1]
    # SQLite: the area written +area_code so its planner reads this week's deadlines from
    # ix_ticket_resolve_due_status (a few thousand rows) instead of every ticket of a large kelurahan through
    # its area index (150k rows: 0.7-1 s at 1M tickets); unary + is a no-op on text in SQLite.
    area = (UnaryExpression(T.c.area_code, operator=operators.custom_op("+"), type_=T.c.area_code.type)
            if conn.dialect.name == "sqlite" else T.c.area_code)
    # Counted in SQL: a few thousand deadlines a week, whose datetimes Python would otherwise convert.
    handled_in_time = or_(and_(T.c.status == "SELESAI", T.c.resolved_at <= T.c.resolve_due),
                          and_(T.c.status == "DITOLAK", T.c.closed_at <= T.c.resolve_due))
    q = (select(func.count(), func.sum(case((handled_in_time, 1), else_=0)))
         .where(area.in_(areas) if areas is not None else true(), T.c.resolve_due >= this_week,
                T.c.resolve_due <= now))
    due, on_time = conn.execute(q).one()
    current["due"], current["on_time"] = int(due or 0), int(on_time or 0)
    current["late"] = current["due"] - current["on_time"]
    for b in buckets:
        b["pct"] = round(100 * b["on_time"] / b["due"]) if b["due"] else None
    return buckets


# --- staff ---------------------------------------------------------------------------

def staff_by_login(conn: Connection, login: str) -> RowMapping | None:
    login = login.strip()
    if not login or len(login) > 200 or not login.isprintable():
        return None
    return conn.execute(select(S).where(S.c.active.is_(True),
                                        or_(S.c.code == login, func.lower(S.c.email) == login.lower()))
                        .order_by(S.c.id).limit(1)).mappings().first()


def staff_by_code(conn: Connection, code: str) -> RowMapping | None:
    return conn.execute(select(S).where(S.c.code == code, S.c.active.is_(True))).mappings().first()


def staff_ticket_rows(conn: Connection, scope: Any | None, areas: list[str] | None, *,
                      limit: int = 200) -> list[dict[str, Any]]:
    """Tickets of ``areas`` (None: the city) within an officer's ``scope`` (``bot.staff.scope``), newest first.

    Descriptions come back as stored: ``bot.web.queries.staff_tickets`` redacts them."""
    conds: list[Any] = [_scope(areas)]
    if scope is not None:
        conds.append(scope)
    q = (select(T.c.id, T.c.reporter_id, T.c.tracking_id, T.c.status, T.c.category_code, T.c.agency_code, T.c.unit,
                T.c.area_code, T.c.description, T.c.created_at, T.c.updated_at, T.c.resolve_due, T.c.channel)
         .where(*conds).order_by(T.c.created_at.desc(), T.c.id.desc()).limit(limit))
    return [dict(r) for r in conn.execute(q).mappings()]


def names_for(conn: Connection, codes: Iterable[str]) -> dict[str, str]:
    codes = [c for c in set(codes) if c]
    if not codes:
        return {}
    return dict(conn.execute(select(A.c.code, A.c.name).where(A.c.code.in_(codes))).all())
