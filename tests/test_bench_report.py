"""bench/report.py end to end on a migrated SQLite database: it runs `main.py report` and prints its lines.

No timing assertions: only the output format and the periods it measures.
"""
from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bench.report import periods

ROOT = Path(__file__).resolve().parents[1]


def test_periods_are_the_last_month_and_the_last_year() -> None:
    assert periods(date(2026, 12, 1)) == {"a month": "2026-11-01", "a year": "2025-12-01"}
    assert periods(date(2027, 1, 1)) == {"a month": "2026-12-01", "a year": "2026-01-01"}


def test_bench_report_prints_env_periods_and_last_line(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite run is enough for the output format")
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "report.py"), "--url", database_url, "--repeat", "1"],
                         capture_output=True, text=True, timeout=300, check=True).stdout.splitlines()
    assert out[0].startswith("env: load average") and out[1].startswith("env: database sqlite")
    assert any(line.startswith("a month (2026-11-01..2026-12-01): wall p50 ") for line in out)
    assert any(line.startswith("a year (2025-12-01..2026-12-01): wall p50 ") for line in out)
    assert re.fullmatch(r"report: \d+ ms a year over 0 tickets \(sqlite\)", out[-1])
