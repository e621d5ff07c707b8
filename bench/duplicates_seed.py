"""Give the open reports of a benchmark history coordinates, for the possible-duplicate lookup (issue 15).

bench/read_build.py writes tickets without coordinates; the duplicate lookup at intake reads the open reports
near a point, so on that history it would find nothing and cost nothing. This puts every open report that has
no coordinates at a random point in Jakarta (and its grid cell, as intake would). Run it on a copy:

  python bench/duplicates_seed.py --database-url sqlite:////work/var-bench/dupes-1m.db

then ``bench/ingest.py --mode inprocess --geo --database-url ...`` with ``--duplicates on`` and ``off``.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from sqlalchemy import create_engine, text  # noqa: E402

from bot.duplicates import cell_of  # noqa: E402
from store.tables import OPEN_CONDITION  # noqa: E402

JAKARTA = (-6.37, -6.08, 106.68, 106.97)
CHUNK = 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a synchronous URL (sqlite:///..., postgresql://...)")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    engine = create_engine(args.database_url)
    start, done, after = time.perf_counter(), 0, 0
    while True:
        with engine.begin() as conn:
            ids = conn.execute(text(f"SELECT id FROM ticket WHERE id > :after AND {OPEN_CONDITION} "
                                    "AND latitude IS NULL ORDER BY id LIMIT :n"), {"after": after, "n": CHUNK}).scalars().all()
            if not ids:
                break
            after = ids[-1]
            rows = []
            for tid in ids:
                lat, lon = rng.uniform(*JAKARTA[:2]), rng.uniform(*JAKARTA[2:])
                rows.append({"id": tid, "lat": lat, "lon": lon, "cell": cell_of(lat, lon)})
            conn.execute(text("UPDATE ticket SET latitude = :lat, longitude = :lon, geo_cell = :cell WHERE id = :id"),
                         rows)
            done += len(rows)
    print(f"duplicates_seed: {done} open reports placed in {time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
