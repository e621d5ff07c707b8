"""Performance figures on 10,000+ generated tickets, checked against plain-Python figures; CLI and JSON API."""
from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, event

from bot.reports import FIELDS, ReportError, parse_params, percentile, performance
from store.migrate import upgrade
from tests.sla.dataset import NOW, ROOT, expected, generate, insert_all

WIB = ZoneInfo("Asia/Jakarta")
JAN = datetime(2026, 1, 1, tzinfo=WIB)  # --since 2026-01-01 in the instance's time zone
FEB = datetime(2026, 2, 1, tzinfo=WIB)
N = 10_500
SEED = 128_2017

FLOATS = {"coordinate_hours_mean", "coordinate_hours_p90", "resolve_hours_mean", "resolve_hours_p90",
          "resolved_within_sla", "reopen_rate", "proof_rejection_rate"}
P90S = {"coordinate_hours_p90", "resolve_hours_p90"}


def near_p90(got: float | None, want: float | None, shown: float = 0.0) -> bool:
    """The histogram's documented precision (bot.perf_figures): within a bucket's width of the exact p90,
    (2 ** 0.25 - 1) * p90, plus a minute for durations under a minute (1e-6: seconds rounding)."""
    if want is None or got is None:
        return got is want
    return abs(got - want) <= (2 ** 0.25 - 1) * want + 1 / 60 + 1e-6 + shown


def _same(got: dict[str, Any], want: dict[str, Any], where: str) -> None:
    for field, value in want.items():
        if field in P90S:
            assert near_p90(got[field], value), f"{where} {field}: {got[field]} vs exact {value}"
        elif field in FLOATS and value is not None:
            assert got[field] == pytest.approx(value, rel=1e-7, abs=1e-6), f"{where} {field}"
        else:
            assert got[field] == value, f"{where} {field}"


def _check(rows: list[dict[str, Any]], want: dict[Any, dict[str, Any]], where: str) -> None:
    assert len(rows) == len(want), where
    assert len({r["key"] for r in rows}) == len(rows), where
    for row in rows:
        _same(row, want[row["key"]], f"{where} [{row['key']}]")
    assert [r["tickets"] for r in rows] == sorted((r["tickets"] for r in rows), reverse=True)


def test_percentile_definition():
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([1.0, 2.0], 0.9) == pytest.approx(1.9)
    assert percentile([float(x) for x in range(1, 11)], 0.9) == pytest.approx(9.1)


async def test_figures_on_10k_tickets_match_plain_python(gateway, clock, client, capsys):
    data = generate(N, SEED)
    assert len(data.tickets) >= 10_000
    # The data set exercises every branch the figures look at.
    statuses = {t["status"] for t in data.tickets}
    assert statuses == {"MENUNGGU", "KOORDINASI", "DISPOSISI", "PROSES", "MENUNGGU_VALIDASI", "TL_DITOLAK",
                        "SELESAI", "DITOLAK"}
    assert any(t["reopen_count"] for t in data.tickets) and any(t["paused_hours"] for t in data.tickets)
    assert any(e["kind"] == "extend" for e in data.events)

    started = time.perf_counter()
    await gateway.db.write(insert_all, data)
    inserted = time.perf_counter() - started

    timings = []
    for by in ("agency", "kelurahan"):
        for since, until in ((None, None), (JAN, FEB), (JAN, None), (None, FEB),
                             (datetime(2026, 1, 15, 13, 30, tzinfo=WIB), datetime(2026, 2, 10, tzinfo=WIB))):
            started = time.perf_counter()
            rows = await gateway.db.read(lambda c: performance(c, since, until, by, now=NOW))
            timings.append(time.perf_counter() - started)
            want = expected(data, since, until, by)
            _check(rows, want, f"{by} {since}..{until}")
            if by == "agency" and since is None and until is None:
                assert sum(r["tickets"] for r in rows) == N
                names = {a.code: a.name for a in gateway.config.agencies}
                assert all(r["name"] == (names[r["key"]] if r["key"] else "(unknown)") for r in rows)
    with capsys.disabled():
        print(f"\n[sla] {len(data.tickets)} tickets + {len(data.events)} events inserted in {inserted:.2f} s; "
              f"performance() {min(timings) * 1000:.0f}-{max(timings) * 1000:.0f} ms per call "
              f"({gateway.db.dialect})")

    # The JSON endpoint serves the same numbers.
    clock.set(NOW)
    for by in ("agency", "kelurahan"):
        res = await client.get("/api/v1/performance", params={"since": "2026-01-01", "until": "2026-02-01", "by": by})
        assert res.status_code == 200, res.text
        body = res.json()
        assert body["by"] == by
        assert datetime.fromisoformat(body["since"]) == JAN and datetime.fromisoformat(body["until"]) == FEB
        assert set(body["groups"][0]) == set(FIELDS)  # aggregates only, no ticket details
        _check(body["groups"], expected(data, JAN, FEB, by), f"api {by}")
    res = await client.get("/api/v1/performance")  # defaults: all time, by agency
    assert res.status_code == 200
    _check(res.json()["groups"], expected(data, None, None, "agency"), "api defaults")


@pytest.mark.parametrize("params,reason", [
    ({"since": "2026-13-01"}, "since"),
    ({"until": "kemarin"}, "until"),
    ({"by": "kota"}, "by"),
    ({"since": "2026-02-01", "until": "2026-01-01"}, "earlier"),
])
async def test_api_rejects_bad_params(client, params, reason):
    res = await client.get("/api/v1/performance", params=params)
    assert res.status_code == 400
    assert reason in res.json()["detail"]


def test_parse_params():
    since, until, by = parse_params("2026-01-01", "2026-02-01T12:00:00+00:00", "KELURAHAN", "Asia/Jakarta")
    assert since == datetime(2025, 12, 31, 17, 0, tzinfo=timezone.utc)
    assert until == datetime(2026, 2, 1, 12, 0, tzinfo=timezone.utc) and by == "kelurahan"
    assert parse_params(None, "", None, "Asia/Jakarta") == (None, None, "agency")
    with pytest.raises(ReportError, match="since"):
        parse_params("01/01/2026", None, None, "Asia/Jakarta")


def _db(path: Path, n: int, seed: int) -> tuple[str, Any]:
    url = f"sqlite:///{path}"
    upgrade(url)
    data = generate(n, seed)
    engine = create_engine(url)
    with engine.begin() as conn:
        insert_all(conn, data)
    engine.dispose()
    return url, data


@pytest.fixture
def small_db(tmp_path: Path) -> tuple[str, Any]:
    return _db(tmp_path / "report.db", 600, SEED + 1)


def _recorded(url: str) -> tuple[Any, list[tuple[str, Any]]]:
    """A SQLite engine and the list every statement it executes is appended to (SQL, parameters)."""
    engine, seen = create_engine(url), []

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, parameters))

    return engine, seen


OVERDUE = "WHERE status IN ('MENUNGGU'"  # store.reports.overdue_counts: the partial index's own condition


def _ticket_reads(seen: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [(sql, p) for sql, p in seen if re.search(r"\bFROM ticket\b", sql)]


def _plans(conn: Any, reads: list[tuple[str, Any]]) -> list[str]:
    return [row[-1] for sql, p in reads for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, p).all()]


def test_month_aligned_period_reads_no_history(tmp_path):
    """Whole months come from fig_perf / fig_hist: no statement reads ticket_event, and the ticket table only
    for the overdue count, through an index of open tickets (ix_ticket_open_created, migration 0015, or
    ix_ticket_status_resolve_due), never by a scan."""
    url, data = _db(tmp_path / "aligned.db", 3000, SEED + 2)
    engine, seen = _recorded(url)
    with engine.connect() as conn:
        for by in ("agency", "kelurahan"):
            for since, until in ((JAN, FEB), (None, None), (datetime(2025, 12, 1, tzinfo=WIB), None), (None, FEB)):
                seen.clear()
                rows = performance(conn, since, until, by, now=NOW)
                statements = list(seen)
                _check(rows, expected(data, since, until, by), f"aligned {by} {since}..{until}")
                assert not [sql for sql, _ in statements if "ticket_event" in sql]
                reads = _ticket_reads(statements)
                assert len(reads) == 1 and OVERDUE in reads[0][0]
                assert any("fig_perf" in sql for sql, _ in statements)
                assert any("fig_hist" in sql for sql, _ in statements)
                plans = _plans(conn, reads)
                # The open tickets of the period from the covering partial index, or (the planner's choice
                # without a period) the deadlines through ix_ticket_status_resolve_due.
                assert any("ix_ticket_open_created" in p or "ix_ticket_status_resolve_due" in p for p in plans), plans
                assert not [p for p in plans if p.startswith("SCAN ticket")], plans
    engine.dispose()


def test_partial_months_at_the_edges_match_plain_python(tmp_path):
    """A period starting or ending mid-month: the edge ranges are read from their tickets (created_at range,
    events by ticket id) and merged with the whole months; equal to the plain computation."""
    url, data = _db(tmp_path / "edges.db", 3000, SEED + 3)
    engine, seen = _recorded(url)
    periods = (
        (datetime(2026, 1, 15, 13, 30, tzinfo=WIB), datetime(2026, 2, 10, tzinfo=WIB)),  # two edges
        (datetime(2025, 12, 15, tzinfo=WIB), datetime(2026, 2, 20, tzinfo=WIB)),  # edges around a month
        (datetime(2026, 2, 1, tzinfo=WIB), datetime(2026, 2, 20, tzinfo=WIB)),  # from a month start
        (datetime(2026, 2, 3, tzinfo=WIB), datetime(2026, 2, 27, tzinfo=WIB)),  # the stored month minus the rest
        (datetime(2025, 12, 20, tzinfo=WIB), None),  # a leading edge, then whole months
        (None, datetime(2026, 2, 14, 8, tzinfo=WIB)),  # whole months, then a trailing edge
        (datetime(2026, 1, 5, tzinfo=WIB), datetime(2026, 1, 20, tzinfo=WIB)),  # inside one month
        (datetime(2025, 12, 31, 23, 59, tzinfo=WIB), datetime(2026, 3, 1, 0, 1, tzinfo=WIB)),  # minutes
    )
    with engine.connect() as conn:
        for by in ("agency", "kelurahan"):
            for since, until in periods:
                seen.clear()
                rows = performance(conn, since, until, by, now=NOW)
                statements = list(seen)
                _check(rows, expected(data, since, until, by), f"edges {by} {since}..{until}")
                reads = _ticket_reads(statements)
                assert len([sql for sql, _ in reads if OVERDUE in sql]) == 1  # the overdue count
                for sql, _ in reads:  # the edge tickets: a created_at range
                    assert OVERDUE in sql or "ticket.created_at >=" in sql or "ticket.created_at <" in sql, sql
                for sql, _ in statements:
                    if "ticket_event" in sql:
                        assert "ticket_event.ticket_id IN" in sql, sql
                plans = _plans(conn, _ticket_reads(statements))
                assert not [p for p in plans if p.startswith("SCAN ticket")], plans
                if since == datetime(2026, 2, 3, tzinfo=WIB):  # fewer tickets outside: month minus the rest
                    assert any("fig_perf" in sql for sql, _ in statements)
    engine.dispose()


# --- the CLI ---------------------------------------------------------------------------


def _run(args: list[str], url: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "ADUAN_CONFIG"}
    full_env.update(ADUAN_DATABASE_URL=url, **env)
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env=full_env, capture_output=True,
                          text=True, timeout=60)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _check_csv(rows: list[dict[str, str]], want: dict[Any, dict[str, Any]]) -> None:
    assert len(rows) == len(want)
    for row in rows:
        w = want[row["key"] or None]
        for field, value in w.items():
            cell = row[field]
            if value is None:
                assert cell == "", field
            elif field in P90S:
                assert near_p90(float(cell), value), field
            elif field in FLOATS:
                assert float(cell) == pytest.approx(value, abs=1e-6), field
            elif field == "key":
                assert cell == value
            else:
                assert int(cell) == value, field


def _spans(line: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"\S+(?: \S+)*", line)]


def test_cli_report_prints_a_table_and_writes_csv(small_db, tmp_path):
    url, data = small_db
    out = tmp_path / "out" / "jan.csv"
    res = _run(["report", "--since", "2026-01-01", "--until", "2026-02-01", "--by", "kelurahan",
                "--csv", str(out), "--as-of", NOW.isoformat()], url)
    assert res.returncode == 0, res.stderr
    want = expected(data, JAN, FEB, "kelurahan")
    lines = res.stdout.splitlines()
    header, rule, rows = lines[0], lines[1], lines[2:2 + len(want)]
    assert [header[a:b] for a, b in _spans(header)] == [
        "key", "name", "tickets", "coord h mean", "coord h p90", "resolve h mean", "resolve h p90", "in SLA",
        "backlog", "overdue", "reopen", "proof rejected", "ratings", "rating avg", "rated 1-2"]
    assert set(rule) <= {"-", " "} and len(_spans(rule)) == 15
    # Aligned: text columns start, number columns end, where their headers do.
    cols = _spans(rule)
    for row in rows:
        cells = _spans(row)
        assert len(cells) == 15, row
        assert [c[0] for c in cells[:2]] == [c[0] for c in cols[:2]], row
        assert [c[1] for c in cells[2:]] == [c[1] for c in cols[2:]], row
    assert lines[2 + len(want)] == ""
    assert f"{len(want)} groups; CSV written to {out.resolve()}" in res.stdout
    # The figures as printed, for every group.
    for row in rows:
        cells = [row[a:b] for a, b in _spans(row)]
        w = want[None if cells[0] == "-" else cells[0]]
        assert int(cells[2]) == w["tickets"] and int(cells[8]) == w["backlog"] and int(cells[9]) == w["overdue"]
        for i, field in ((3, "coordinate_hours_mean"), (5, "resolve_hours_mean")):
            assert cells[i] == ("-" if w[field] is None else f"{w[field]:.1f}"), field
        for i, field in ((4, "coordinate_hours_p90"), (6, "resolve_hours_p90")):
            assert cells[i] == "-" if w[field] is None else near_p90(float(cells[i]), w[field], shown=0.05), field
        for i, field in ((7, "resolved_within_sla"), (10, "reopen_rate"), (11, "proof_rejection_rate")):
            assert cells[i] == ("-" if w[field] is None else f"{w[field] * 100:.1f}%"), field
    _check_csv(_csv_rows(out), want)


def test_cli_report_default_csv_path_and_bad_dates(small_db, tmp_path):
    url, data = small_db
    config_dir = tmp_path / "site"
    config_dir.mkdir()
    shutil.copy(ROOT / "config.yaml", config_dir / "config.yaml")
    env = {"ADUAN_CONFIG": str(config_dir / "config.yaml")}
    res = _run(["report", "--since", "2026-01-01", "--until", "2026-02-01", "--as-of", "2026-03-01T07:00"], url, **env)
    assert res.returncode == 0, res.stderr
    path = config_dir / "var" / "reports" / "performance-agency-20260101-20260201.csv"
    assert f"CSV written to {path}" in res.stdout
    _check_csv(_csv_rows(path), expected(data, JAN, FEB, "agency"))  # as of 07:00 WIB = NOW

    bad = _run(["report", "--since", "2026-02-30"], url, **env)
    assert bad.returncode == 2 and "since" in bad.stderr
