"""``main.py report`` wall time, start-up included (issue 16: "report for a year under 1 s").

Runs ``main.py report`` N times in a subprocess against an existing database (the checkout's config.yaml with
``ADUAN_DATABASE_URL``), for a month and a year ending at ``--until``, and prints p50/p95 wall per period.
The database is only read (the CSV goes to a temporary folder); migrate it first (``main.py db upgrade``).

    python bench/report.py --url sqlite:////path/to.db [--repeat 5] [--until 2026-12-01]

The last line is exactly:
    report: <p50> ms a year over <n> tickets (<db>)
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# As a script, bench/ would come first on sys.path (and bench/email.py shadow the standard library): the root.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench._env import print_env  # noqa: E402
from bench.read_build import ticket_count  # noqa: E402
from bench.read_gateway import percentile  # noqa: E402


def run_once(url: str, since: str, until: str, csv_path: Path) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of one ``main.py report`` (it must succeed)."""
    env = {**os.environ, "ADUAN_DATABASE_URL": url}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "main.py"), "report", "--since", since, "--until", until,
                    "--csv", str(csv_path)], env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def periods(until: date) -> dict[str, str]:
    month = date(until.year - (until.month == 1), (until.month - 2) % 12 + 1, 1)
    return {"a month": month.isoformat(), "a year": until.replace(year=until.year - 1).isoformat()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="database URL (already migrated)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per period (default 5)")
    parser.add_argument("--until", default="2026-12-01", help="end of the periods, YYYY-MM-01 (default 2026-12-01)")
    args = parser.parse_args()
    print_env(args.url)
    count = ticket_count(args.url)
    until = date.fromisoformat(args.until)
    p50_year = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name, since in periods(until).items():
            run_once(args.url, since, args.until, Path(tmp) / "warm.csv")  # page cache and bytecode: not counted
            runs = [run_once(args.url, since, args.until, Path(tmp) / "report.csv") for _ in range(args.repeat)]
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            p50, p95 = percentile(walls, 0.5), percentile(walls, 0.95)
            print(f"{name} ({since}..{args.until}): wall p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
                  f"({', '.join(f'{w * 1000:.0f}' for w in walls)}); CPU user+sys p50 "
                  f"{percentile(cpus, 0.5) * 1000:.0f} ms ({', '.join(f'{c * 1000:.0f}' for c in cpus)})", flush=True)
            if name == "a year":
                p50_year = p50
    print_env(args.url)  # the load may have changed during the runs
    db = "sqlite" if args.url.startswith("sqlite") else "postgresql"
    print(f"report: {p50_year * 1000:.0f} ms a year over {count} tickets ({db})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
