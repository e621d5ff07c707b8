"""Performance figures per agency or per kelurahan (officials are assessed on these).

``performance(conn, since, until, by)`` returns one dict per group of the
tickets *created* in ``[since, until)``; every event of those tickets counts,
whenever it happened. Per group:

=========================  ===================================================
``tickets``                tickets created in the period
``coordinated``            ... that left MENUNGGU (``coordinated_at`` set)
``coordinate_hours_mean``  mean / 90th percentile of ``coordinated_at -
``coordinate_hours_p90``   created_at`` in calendar hours (None without data)
``resolved``               tickets now SELESAI (``resolved_at`` set)
``resolve_hours_mean``     mean / p90 of ``resolved_at - created_at`` in
``resolve_hours_p90``      calendar hours
``resolved_within_sla``    share of ``resolved`` with ``resolved_at <=
                           resolve_due`` (the due date as adjusted by
                           ``perpanjang``, validation pauses and reopens)
``backlog``                open tickets (not SELESAI or DITOLAK)
``overdue``                open tickets past ``resolve_due``, or past
                           ``coordinate_due`` while MENUNGGU; a ticket waiting
                           in MENUNGGU_VALIDASI has its clock stopped, so it is
                           overdue only if its proof came in after the deadline
``reopened``               tickets reopened at least once
``ever_resolved``          tickets that reached SELESAI at least once
``reopen_rate``            reopened / ever_resolved
``proofs_submitted``       transitions to MENUNGGU_VALIDASI
``proofs_rejected``        transitions to TL_DITOLAK
``proof_rejection_rate``   proofs_rejected / proofs_submitted
``ratings``                tickets the reporter rated 1-5 (bot/ratings.py; the
                           latest rating of each)
``rating_mean``            their average rating
``rating_low_share``       share (0-1) of them rated 1 or 2
=========================  ===================================================

By agency or kelurahan the figures come from the aggregates kept in every
ticket write (``bot.perf_figures``): counts and means are exact, and p90 is read
from a duration histogram, within ``(2 ** 0.25 - 1) * p90 + 1/60`` hours (19 %,
plus a minute) of the exact value (linear interpolation between closest ranks, as
``statistics.quantiles(method="inclusive")``). By source there is no kept
aggregate: those are computed from the period's tickets and events, p90 exact.
"""
from __future__ import annotations

import csv
import math
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Iterable, Literal, Sequence
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import Connection

from bot import perf_figures
from store import reports as store_reports

GROUPINGS = ("agency", "kelurahan", "source")  # source: where reports came in (ticket.source)
FIELDS = (
    "key", "name", "tickets", "coordinated", "coordinate_hours_mean", "coordinate_hours_p90", "resolved",
    "resolve_hours_mean", "resolve_hours_p90", "resolved_within_sla", "backlog", "overdue", "reopened",
    "ever_resolved", "reopen_rate", "proofs_submitted", "proofs_rejected", "proof_rejection_rate",
    "ratings", "rating_mean", "rating_low_share",
)


class ReportError(ValueError):
    """A bad report parameter, with the reason."""


class PerformanceGroup(BaseModel):
    """One agency's or kelurahan's figures (``GET /api/v1/performance``); null where there is no data."""

    key: str | None = Field(description="agency code, area (kelurahan) code or source (a channel or a walk-in "
                                        "origin such as kantor_kelurahan); null: not routed")
    name: str
    tickets: int
    coordinated: int
    coordinate_hours_mean: float | None
    coordinate_hours_p90: float | None
    resolved: int
    resolve_hours_mean: float | None
    resolve_hours_p90: float | None
    resolved_within_sla: float | None = Field(description="share (0-1) of resolved tickets resolved by resolve_due")
    backlog: int
    overdue: int
    reopened: int
    ever_resolved: int
    reopen_rate: float | None
    proofs_submitted: int
    proofs_rejected: int
    proof_rejection_rate: float | None
    ratings: int = Field(0, description="tickets the reporter rated (1-5, their latest rating)")
    rating_mean: float | None = Field(None, description="the average of those ratings")
    rating_low_share: float | None = Field(None, description="share (0-1) of the ratings that were 1 or 2")


class PerformanceReport(BaseModel):
    since: str | None
    until: str | None
    by: Literal["agency", "kelurahan", "source"]
    generated_at: str
    groups: list[PerformanceGroup]


# --- parameters ----------------------------------------------------------------

def parse_when(value: str | None, tz: str, name: str) -> datetime | None:
    """``YYYY-MM-DD`` (local midnight in ``tz``) or an ISO datetime (local if it has no offset)."""
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ReportError(f"{name}: {value!r} is not a date (YYYY-MM-DD) or ISO datetime") from None
    if when.utcoffset() is None:
        when = when.replace(tzinfo=ZoneInfo(tz))
    return when.astimezone(timezone.utc)


def parse_params(since: str | None, until: str | None, by: str | None, tz: str) -> tuple[datetime | None, datetime | None, str]:
    """Validate report parameters; raises ReportError naming the bad one."""
    by = (by or "agency").strip().lower()
    if by not in GROUPINGS:
        raise ReportError(f"by: {by!r} is not one of {', '.join(GROUPINGS)}")
    s, u = parse_when(since, tz, "since"), parse_when(until, tz, "until")
    if s is not None and u is not None and s >= u:
        raise ReportError("since must be earlier than until")
    return s, u, by


# --- figures -------------------------------------------------------------------

def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile of sorted ``values`` by linear interpolation between closest ranks."""
    if not values:
        return None
    pos = (len(values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _source_groups(conn: Connection, since: datetime | None, until: datetime | None, now: datetime
                   ) -> list[dict[str, Any]]:
    """by=source: no kept aggregate groups by source (fig_perf has agency and kelurahan only), so this one
    still scans the period's tickets and events, with exact percentiles (a console-only grouping)."""
    groups, coordinate, resolve = store_reports.performance_groups(conn, since, until, "source", now)
    out = []
    for k, g in groups.items():
        c_list, r_list = sorted(coordinate[k]), sorted(resolve[k])
        out.append(dict(
            key=k, tickets=g["tickets"], coordinated=g["coordinated"],
            coordinate_hours_mean=sum(c_list) / len(c_list) if c_list else None,
            coordinate_hours_p90=percentile(c_list, 0.9), resolved=g["resolved"],
            resolve_hours_mean=sum(r_list) / len(r_list) if r_list else None,
            resolve_hours_p90=percentile(r_list, 0.9), in_sla=int(g["in_sla"] or 0),
            backlog=int(g["backlog"] or 0), overdue=int(g["overdue"] or 0), reopened=int(g["reopened"] or 0),
            ever_resolved=int(g.get("ever_resolved") or 0), proofs=int(g.get("proofs") or 0),
            rejected=int(g.get("rejected") or 0), rated=int(g.get("rated") or 0),
            rating_total=int(g.get("rating_total") or 0), rated_low=int(g.get("rated_low") or 0),
        ))
    return out


def performance(conn: Connection, since: datetime | None, until: datetime | None, by: str = "agency", *,
                now: datetime | None = None) -> list[dict[str, Any]]:
    """Figures per group (see the module docstring), biggest groups first.

    By agency or kelurahan they come from the kept aggregates (``bot.perf_figures``: whole months from
    fig_perf / fig_hist, the partial edge months from their tickets' rows); p90 is then read from the
    duration histogram, within ``(2 ** 0.25 - 1) * p90 + 1/60`` hours of the exact value."""
    if by not in GROUPINGS:
        raise ReportError(f"by: {by!r} is not one of {', '.join(GROUPINGS)}")
    now = now or datetime.now(timezone.utc)
    raw = _source_groups(conn, since, until, now) if by == "source" else perf_figures.groups(
        conn, since, until, by, now)
    names = store_reports.names(conn, by, [g["key"] for g in raw if g["key"] is not None])
    out = []
    for g in raw:
        k, ever, proofs, rejected = g.pop("key"), g.pop("ever_resolved"), g.pop("proofs"), g.pop("rejected")
        in_sla = g.pop("in_sla")
        rated, rating_total, rated_low = g.pop("rated"), g.pop("rating_total"), g.pop("rated_low")
        out.append(dict(
            key=k, name=names.get(k) or ("(unknown)" if k is None else k), **g, ever_resolved=ever,
            resolved_within_sla=_ratio(in_sla, g["resolved"]), reopen_rate=_ratio(g["reopened"], ever),
            proofs_submitted=proofs, proofs_rejected=rejected, proof_rejection_rate=_ratio(rejected, proofs),
            ratings=rated, rating_mean=_ratio(rating_total, rated), rating_low_share=_ratio(rated_low, rated),
        ))
    out.sort(key=lambda r: (-r["tickets"], r["key"] is None, r["key"] or ""))
    return out


# --- output --------------------------------------------------------------------

_COLUMNS = (  # header, field, kind
    ("key", "key", "s"), ("name", "name", "s"), ("tickets", "tickets", "d"), ("coord h mean", "coordinate_hours_mean", "h"),
    ("coord h p90", "coordinate_hours_p90", "h"), ("resolve h mean", "resolve_hours_mean", "h"),
    ("resolve h p90", "resolve_hours_p90", "h"), ("in SLA", "resolved_within_sla", "%"), ("backlog", "backlog", "d"),
    ("overdue", "overdue", "d"), ("reopen", "reopen_rate", "%"), ("proof rejected", "proof_rejection_rate", "%"),
    ("ratings", "ratings", "d"), ("rating avg", "rating_mean", "f"), ("rated 1-2", "rating_low_share", "%"),
)


def _cell(value: Any, kind: str, width: int | None = None) -> str:
    if value is None:
        return "-"
    if kind == "h":
        return f"{value:.1f}"
    if kind == "f":
        return f"{value:.2f}"
    if kind == "%":
        return f"{value * 100:.1f}%"
    text = str(value)
    return text if width is None or len(text) <= width else text[:width - 1] + "~"


def format_table(rows: Iterable[dict[str, Any]], name_width: int = 40) -> str:
    """An aligned plain-text table (text columns left, numbers right)."""
    rows = list(rows)
    cells = [[_cell(r[f], k, name_width if f == "name" else None) for _, f, k in _COLUMNS] for r in rows]
    headers = [h for h, _, _ in _COLUMNS]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        return "  ".join(v.ljust(w) if _COLUMNS[i][2] == "s" else v.rjust(w)
                         for i, (v, w) in enumerate(zip(values, widths))).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(c) for c in cells])


def write_csv(rows: Iterable[dict[str, Any]], path: str | Path) -> Path:
    """All fields, one row per group; floats to 6 decimals, empty for no data."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(FIELDS)
        for r in rows:
            w.writerow(["" if r[k] is None else (f"{r[k]:.6f}" if isinstance(r[k], float) else r[k]) for k in FIELDS])
    return path


def default_csv_name(by: str, since: datetime | None, until: datetime | None, tz: str) -> str:
    def d(x: datetime | None, none: str) -> str:
        return x.astimezone(ZoneInfo(tz)).strftime("%Y%m%d") if x else none

    return f"performance-{by}-{d(since, 'start')}-{d(until, 'now')}.csv"
