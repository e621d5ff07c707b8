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
from sqlalchemy import create_engine

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


def _same(got: dict[str, Any], want: dict[str, Any], where: str) -> None:
    for field, value in want.items():
        if field in FLOATS and value is not None:
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
        for since, until in ((None, None), (JAN, FEB), (JAN, None), (None, FEB)):
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


# --- the CLI ---------------------------------------------------------------------------

@pytest.fixture
def small_db(tmp_path: Path) -> tuple[str, Any]:
    url = f"sqlite:///{tmp_path / 'report.db'}"
    upgrade(url)
    data = generate(600, SEED + 1)
    engine = create_engine(url)
    with engine.begin() as conn:
        insert_all(conn, data)
    engine.dispose()
    return url, data


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
        "backlog", "overdue", "reopen", "proof rejected"]
    assert set(rule) <= {"-", " "} and len(_spans(rule)) == 12
    # Aligned: text columns start, number columns end, where their headers do.
    cols = _spans(rule)
    for row in rows:
        cells = _spans(row)
        assert len(cells) == 12, row
        assert [c[0] for c in cells[:2]] == [c[0] for c in cols[:2]], row
        assert [c[1] for c in cells[2:]] == [c[1] for c in cols[2:]], row
    assert lines[2 + len(want)] == ""
    assert f"{len(want)} groups; CSV written to {out.resolve()}" in res.stdout
    # The figures as printed, for every group.
    for row in rows:
        cells = [row[a:b] for a, b in _spans(row)]
        w = want[None if cells[0] == "-" else cells[0]]
        assert int(cells[2]) == w["tickets"] and int(cells[8]) == w["backlog"] and int(cells[9]) == w["overdue"]
        for i, field in ((3, "coordinate_hours_mean"), (4, "coordinate_hours_p90"), (5, "resolve_hours_mean"),
                         (6, "resolve_hours_p90")):
            assert cells[i] == ("-" if w[field] is None else f"{w[field]:.1f}"), field
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
