"""bench/read.py end to end on a small SQLite history: it builds, measures every path, prints its lines.

No timing assertions: only the output format and what the builder put in the database.
"""
from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
N = 2000

PATHS = ["/dashboard ", "/dashboard.csv", "/api/v1/performance (all)", "/api/v1/performance (a month)",
         "/api/v1/performance (a year by kelurahan)", "/dashboard/{kelurahan} (median",
         "/dashboard/{kelurahan} (largest", "/dashboard/{kota} (of the largest kelurahan)",
         "/dashboard/{kecamatan} (of the largest kelurahan)", "/dashboard?dari=&sampai= (a year)",
         "/dashboard.csv?by=area", "open311 requests.json (a category, open)",
         "open311 requests.json (a category, closed, one month)", "/t/{id} ", "/api/v1/tickets/{id} ",
         "/api/v1/tickets/{id} during two /dashboard", "main.py report (a month)", "main.py report (a year)",
         "idle CPU of the gateway", "peak RSS of the gateway", "partner ingest:", "email ingest:", "env: load average",
         "env: database sqlite"]


def test_bench_read_small_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "read.db"
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "read.py"), "--tickets", str(N), "--reuse", str(db), "--repeat", "1",
         "--ingest", "8", "--idle-seconds", "1"],
        cwd=str(ROOT), capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "ADUAN_BENCH_TMP": str(tmp_path)},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    for path in PATHS:
        assert any(path in line for line in lines), (path, out.stdout)
    assert re.fullmatch(r"read: .+ p95 \d+ ms over \d+ tickets \(sqlite\)", lines[-1]), lines[-1]
    assert f"over {N} tickets" in lines[-1]

    with sqlite3.connect(db) as conn:
        def one(sql: str) -> int:
            return int(conn.execute(sql).fetchone()[0])

        assert one(f"SELECT count(*) FROM ticket WHERE id <= {N}") == N
        # The ingest phase added its own tickets after the history (8 partner reports, mails).
        assert one("SELECT count(*) FROM ticket") > N
        assert one(f"SELECT count(*) FROM message WHERE ticket_id <= {N}") == 2 * N
        assert 3.2 * N < one(f"SELECT count(*) FROM ticket_event WHERE ticket_id <= {N}") < 4.2 * N
        assert 0.8 * N < one(f"SELECT count(*) FROM attachment WHERE ticket_id <= {N}") < 1.05 * N
        assert one("SELECT count(*) FROM reporter") >= 0.4 * N
        assert one("SELECT count(*) FROM area WHERE level = 'kelurahan'") == 267
        assert one("SELECT count(DISTINCT category_code) FROM ticket") == one("SELECT count(*) FROM category")
        assert one("SELECT count(DISTINCT area_code) FROM ticket") > 150
        # Skewed: the largest kelurahan holds ~15 % of the tickets.
        top = one(f"SELECT max(c) FROM (SELECT count(*) c FROM ticket WHERE id <= {N} GROUP BY area_code)")
        assert 0.1 * N < top < 0.2 * N
        # Realistic for age: tickets older than 60 days are mostly SELESAI.
        old = conn.execute(f"SELECT avg(status = 'SELESAI') FROM ticket WHERE id <= {N} "
                           "AND created_at < datetime('now', '-60 days')").fetchone()[0]
        assert old > 0.75
        assert one("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'") == 1
