"""Performance figures by agency or kelurahan from the kept aggregates (issue 16), not from history.

``store.figures`` keeps ``fig_perf`` (counts and duration sums) and ``fig_hist`` (log-spaced duration
buckets) per grouping, group key and month of creation (instance time zone), and the same per year
(``fig_perf_year``, ``fig_hist_year``), exact at every commit. A report period ``[since, until)`` is split
into the whole local months inside it, read as whole years plus or minus the months at their edges
(``year_spans``: a rolling year reads a year and two months, not twelve months),
and the partial months at either edge, recomputed from the rows of the tickets created in those edge
ranges only (``store.figures.created_between``: index range on ``created_at``), or, when the rest of
that month holds fewer tickets (a period ending now), as the stored month minus the rest's tickets.
Both come in the same shape and are merged by addition and subtraction, so every count and sum is exact.

- Means are sum / count: exact (durations are kept in whole seconds).
- p90 comes from the histogram: the ranks ``(n - 1) * 0.9`` rounded down and up (as
  ``bot.reports.percentile``) are each placed inside their bucket by linear interpolation over the
  bucket's count, then interpolated between. Buckets are a quarter of a doubling wide (``bucket_of``), so
  ``|p90 - exact| <= (2 ** 0.25 - 1) * exact + 1/60`` hours: within 19 %, plus a minute for durations
  under a minute (bucket 0).
- ``overdue`` depends on the clock, so it is counted on the open tickets only (``store.reports.
  overdue_counts``, through ix_ticket_status_resolve_due).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from store import figures
from store import reports as store_reports

SUMS = ("tickets", "coordinated", "resolved", "in_sla", "backlog", "reopened", "ever_resolved", "proofs",
        "rejected", "coordinate_s", "resolve_s", "rated", "rating_total", "rated_low")
Hist = dict[Any, dict[str, Counter[int]]]


def _month_start(when: datetime, tz: ZoneInfo, *, up: bool) -> datetime:
    """The local month start at or before ``when`` (``up``: at or after)."""
    local = when.astimezone(tz)
    start = datetime(local.year, local.month, 1, tzinfo=tz)
    if up and start < when:
        start = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=tz)
    return start


def split(since: datetime | None, until: datetime | None, tz: ZoneInfo
          ) -> tuple[tuple[str | None, str | None] | None, list[tuple[datetime, datetime]]]:
    """The whole months ``(first, end)`` as ``YYYY-MM`` (None: no whole month) and the edge ranges."""
    m0 = None if since is None else _month_start(since, tz, up=True)
    m1 = None if until is None else _month_start(until, tz, up=False)
    if since is not None and until is not None and m0 is not None and m1 is not None and m0 > m1:
        return None, [(since, until)]  # inside one month
    edges: list[tuple[datetime, datetime]] = []
    if since is not None and m0 is not None and since < m0:
        edges.append((since, m0))
    if until is not None and m1 is not None and m1 < until:
        edges.append((m1, until))
    if m0 is not None and m0 == m1:
        return None, edges  # two edges meeting at a month start
    return (None if m0 is None else m0.strftime("%Y-%m"), None if m1 is None else m1.strftime("%Y-%m")), edges


def p90(hist: Counter[int], q: float = 0.9) -> float | None:
    """The q-quantile in hours from bucket counts (see the module docstring for its precision)."""
    n = sum(hist.values())
    if n <= 0:
        return None
    pos = (n - 1) * q
    lo = int(pos)
    ranks = [lo, min(lo + 1, n - 1)]
    values = []
    for rank in ranks:
        seen = 0
        for bucket in sorted(hist):
            count = hist[bucket]
            if rank < seen + count:
                low, high = figures.bucket_bounds(bucket)
                values.append(low + (high - low) * (rank - seen + 0.5) / count)
                break
            seen += count
    return values[0] + (values[1] - values[0]) * (pos - lo)


def _month(year: int, month: int) -> str:
    return f"{year + (month - 1) // 12:04d}-{(month - 1) % 12 + 1:02d}"


def _within_year(year: int, m0: int, m1: int) -> list[tuple[bool, str | None, str | None, int]]:
    """Months m0 <= m < m1 (1-13) of ``year``: those months, or the year less the others, whichever reads
    fewer periods."""
    if m0 >= m1:
        return []
    if m1 - m0 <= 12 - (m1 - m0) + 1:
        return [(False, _month(year, m0), _month(year, m1), 1)]
    out: list[tuple[bool, str | None, str | None, int]] = [(True, f"{year:04d}", f"{year + 1:04d}", 1)]
    for a, b in ((1, m0), (m1, 13)):
        if a < b:
            out.append((False, _month(year, a), _month(year, b), -1))
    return out


def year_spans(first: str | None, end: str | None) -> list[tuple[bool, str | None, str | None, int]]:
    """The months ``first`` <= month < ``end`` (``YYYY-MM``, None: unbounded) as (yearly, lo, hi, sign) spans
    to add up: whole years from the year tables, the months at the edges added, or their year added and its
    other months taken away (at most six months read per edge). Counts and histograms subtract exactly."""
    y0, m0 = (None, 1) if first is None else (int(first[:4]), int(first[5:7]))
    y1, m1 = (None, 1) if end is None else (int(end[:4]), int(end[5:7]))
    if y0 is not None and y1 is not None and (y0, m0) >= (y1, m1):
        return []
    if y0 is not None and y0 == y1:
        return _within_year(y0, m0, m1)
    out = []
    whole_from = None if y0 is None else (y0 if m0 == 1 else y0 + 1)
    whole_to = y1  # the years before y1 are whole (y1's months before m1 are its edge)
    if y0 is not None and m0 > 1:
        out += _within_year(y0, m0, 13)
    if whole_from is None or whole_to is None or whole_from < whole_to:
        out.append((True, None if whole_from is None else f"{whole_from:04d}",
                    None if whole_to is None else f"{whole_to:04d}", 1))
    if y1 is not None:
        out += _within_year(y1, 1, m1)
    return out


class _Merged:
    """Per group key ('' for none): the summed fig_perf columns and the merged histograms."""

    def __init__(self, by: str) -> None:
        self.by = by
        self.sums: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SUMS, 0))
        self.hist: Hist = defaultdict(lambda: {"coordinate": Counter(), "resolve": Counter()})

    def stored(self, conn: Connection, first: str | None, end: str | None, sign: int = 1) -> None:
        """The stored months ``first`` <= month < ``end``: whole years from the year tables, plus or minus
        the months at either edge (``year_spans``), summed by the database."""
        spans = [(yearly, lo, hi, sign * s) for yearly, lo, hi, s in year_spans(first, end)]
        perf_rows, hist_rows = figures.span_sums(conn, self.by, spans)
        for key, *values in perf_rows:
            sums = self.sums[key]
            for col, v in zip(figures.VALUES["fig_perf"], values):
                if col in sums:
                    sums[col] += int(v or 0)
        for key, measure, bucket, n in hist_rows:
            self.hist[key][measure][bucket] += int(n or 0)

    def created(self, conn: Connection, since: datetime, until: datetime, sign: int = 1) -> None:
        for (table, key), values in figures.created_between(conn, since, until).items():
            if table == "fig_perf" and key[0] == self.by:
                for col in SUMS:
                    self.sums[key[1]][col] += sign * values.get(col, 0)
            elif table == "fig_hist" and key[0] == self.by:
                self.hist[key[1]][key[3]][key[4]] += sign * values.get("n", 0)

    def edge(self, conn: Connection, since: datetime, until: datetime, tz: ZoneInfo) -> None:
        """A part of one month: its tickets' figures, or (when fewer tickets lie in the rest of the month,
        as for a period ending now) the stored month minus the rest's tickets. Counts on ix_ticket_created_at
        choose."""
        start = _month_start(since, tz, up=False)
        end = _month_start(start + timedelta(days=32), tz, up=False)
        rest = [(a, b) for a, b in ((start, since), (until, end)) if a < b]
        if store_reports.created_count(conn, since, until) <= sum(store_reports.created_count(conn, a, b)
                                                                    for a, b in rest):
            self.created(conn, since, until)
            return
        month = start.strftime("%Y-%m")
        self.stored(conn, month, end.strftime("%Y-%m"))
        for a, b in rest:
            self.created(conn, a, b, -1)


def _gather(conn: Connection, since: datetime | None, until: datetime | None, by: str) -> _Merged:
    tz = figures.tz_of(conn)
    merged = _Merged(by)
    months, edges = split(since, until, tz)
    if months is not None:
        merged.stored(conn, *months)
    for a, b in edges:
        merged.edge(conn, a, b, tz)
    return merged


def groups(conn: Connection, since: datetime | None, until: datetime | None, by: str, now: datetime
           ) -> list[dict[str, Any]]:
    """The raw figures per group with at least one ticket: the ``bot.reports.performance`` fields except
    ``name``; key None for tickets without an agency / kelurahan."""
    merged = _gather(conn, since, until, by)
    sums, hist = merged.sums, merged.hist
    overdue = store_reports.overdue_counts(conn, since, until, by, now)
    out = []
    for k, s in sums.items():
        if s["tickets"] <= 0:
            continue
        key = k or None
        out.append(dict(
            key=key, tickets=s["tickets"], coordinated=s["coordinated"],
            coordinate_hours_mean=s["coordinate_s"] / s["coordinated"] / 3600 if s["coordinated"] else None,
            coordinate_hours_p90=p90(hist[k]["coordinate"]), resolved=s["resolved"],
            resolve_hours_mean=s["resolve_s"] / s["resolved"] / 3600 if s["resolved"] else None,
            resolve_hours_p90=p90(hist[k]["resolve"]), in_sla=s["in_sla"], backlog=s["backlog"],
            overdue=overdue.get(key, 0), reopened=s["reopened"], ever_resolved=s["ever_resolved"],
            proofs=s["proofs"], rejected=s["rejected"], rated=s["rated"], rating_total=s["rating_total"],
            rated_low=s["rated_low"],
        ))
    return out
