"""Issue 16: the roll-ups (migration 0018) give the dashboards and the performance figures the same answers as
the per-kelurahan and per-month figures they replace, after a real workload, on SQLite and PostgreSQL."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import Connection, select

from bot import perf_figures
from store import dashboard, figures
from tests.test_figures import _workload

BY = ("category_code", "agency_code", "source")


def _scopes(conn: Connection) -> list[tuple[list[str] | None, str | None]]:
    """The province and each kota with a ticket: (areas as the web passes them, fig_city scope)."""
    tree = figures.area_tree(conn)
    kotas = sorted({k for k in (figures.kota_of(tree, c) for c in tree) if k})
    out: list[tuple[list[str] | None, str | None]] = [(None, "")]
    for kota in kotas:
        areas = sorted(c for c in tree if figures.kota_of(tree, c) == kota)
        out.append((areas, kota))
    return out


async def test_city_and_kota_rollups_match_the_kelurahan_figures(gateway, clock):
    await _workload(gateway, clock, 600)
    now = clock.now()

    def check(conn: Connection) -> int:
        zone = figures.tz_of(conn)
        local = now.astimezone(zone).date()
        periods = figures.created_periods(local - timedelta(days=50), local)
        checked = 0
        for areas, scope in _scopes(conn):
            assert dashboard.city_scope(conn, areas) == scope
            listed = areas if areas is not None else sorted(figures.area_tree(conn)) + [""]
            for p in (None, periods):
                assert dashboard._counts(conn, areas, p, scope) == dashboard._counts(conn, listed, p, None)
            counts = dashboard._counts(conn, listed, None, None)
            # Overdue: open tickets less the deadlines ahead == the deadlines before today, by either way.
            old = dashboard.overdue_counts(conn, listed, now, zone, BY)
            assert dashboard.overdue_counts(conn, areas, now, zone, BY, scope=scope) == old
            assert dashboard.overdue_counts(conn, listed, now, zone, BY,
                                            open_now=dashboard._open_counts(counts)) == old
            by_area = dashboard.overdue_counts(conn, areas, now, zone, ("area_code",))
            assert sum(by_area.values()) == sum(old.values())
            checked += sum(n for n, _ in dashboard._counts(conn, areas, None, scope).values())
        return checked

    assert await gateway.db.read(check) > 600  # the province and at least one kota
    assert await gateway.db.read(figures.verify) == []


async def test_city_scope_is_none_for_a_partial_kota(gateway):
    def run(conn: Connection) -> None:
        areas, kota = _scopes(conn)[1]
        assert areas is not None and kota
        tree = figures.area_tree(conn)
        assert figures.kota_map(conn, sorted(tree) + ["99.99"]) == {c: figures.kota_of(tree, c) for c in tree}
        kelurahan = next(c for c in areas if tree[c][0] == "kelurahan")
        assert dashboard.city_scope(conn, [c for c in areas if c != kelurahan]) is None
        assert dashboard.city_scope(conn, [kota]) is None  # the kota without the areas inside it
        assert dashboard.city_scope(conn, [kelurahan]) is None
        assert dashboard.city_scope(conn, areas + ["99.99"]) is None

    await gateway.db.read(run)


def _months(first: str | None, end: str | None) -> set[str]:
    out = set()
    y, m = 2019, 1
    while (y, m) < (2031, 1):
        month = f"{y:04d}-{m:02d}"
        if (first is None or month >= first) and (end is None or month < end):
            out.add(month)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def test_year_spans_cover_each_month_exactly_once():
    rng = random.Random(18)
    months = sorted(_months(None, None))
    cases = [(None, None), (None, "2026-12"), ("2025-12", None), ("2025-12", "2026-12"), ("2026-02", "2026-12"),
             ("2026-12", "2026-12"), ("2026-01", "2027-01")]
    cases += [tuple(sorted(rng.sample(months[12:-12], 2))) for _ in range(300)]  # type: ignore[misc]
    for first, end in cases:
        got: dict[str, int] = {}
        for yearly, lo, hi, sign in perf_figures.year_spans(first, end):
            covered = {m for m in _months(None, None) if (lo is None or m[:4 if yearly else 7] >= lo)
                       and (hi is None or m[:4 if yearly else 7] < hi)}
            for m in covered:
                got[m] = got.get(m, 0) + sign
        assert {m for m, n in got.items() if n} == _months(first, end), (first, end)
        assert all(n in (0, 1) for n in got.values()), (first, end)
        spans = perf_figures.year_spans(first, end)
        assert sum(1 for s in spans if not s[0]) <= 4  # at most two month ranges per edge


async def test_performance_from_year_rows_equals_months(gateway, clock):
    await _workload(gateway, clock, 400)

    def run(conn: Connection) -> None:
        months = sorted({r[0] for r in conn.execute(select(figures.TABLES["fig_perf"].c.month).distinct())})
        assert months
        for by in ("agency", "kelurahan"):
            for first, end in ((None, None), (months[0], None), (None, months[-1]), (months[0], months[-1])):
                merged = perf_figures._Merged(by)
                merged.stored(conn, first, end)
                direct = perf_figures._Merged(by)
                direct_rows = figures.span_sums(conn, by, [(False, first, end, 1)])
                for key, *values in direct_rows[0]:
                    for col, v in zip(figures.VALUES["fig_perf"], values):
                        direct.sums[key][col] += int(v or 0)
                for key, measure, bucket, n in direct_rows[1]:
                    direct.hist[key][measure][bucket] += int(n or 0)
                assert {k: v for k, v in merged.sums.items() if any(v.values())} == \
                    {k: v for k, v in direct.sums.items() if any(v.values())}
                assert {k: {m: +c for m, c in h.items()} for k, h in merged.hist.items()} == \
                    {k: {m: +c for m, c in h.items()} for k, h in direct.hist.items()}

    await gateway.db.read(run)
