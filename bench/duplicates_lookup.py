"""The possible-duplicate lookup of a group commit, measured alone (issue 15).

bench/ingest.py gives the figure the issue asks for (in-process ingest with the lookup on and off); this one says
where the lookup's own cost goes, in CPU time of this process (steadier than wall time on a shared machine).
It makes groups of new reports next to open reports of the history, as intake does, runs
``bot.duplicates.find_links`` on them (reads only), and prints the CPU per report: with the candidates kept in
memory, as intake runs it (``KeptCandidates``, warmed as at intake's start; the synthetic reports are not in the
database, so the checks before linking drop their links to each other), and read from the database for every
lookup (the paths off intake's hot path), whole and for the distance test alone.

  python bench/duplicates_lookup.py --database-url sqlite:////work/var-bench/dupes-1m.db [--groups 20]

The history needs open reports with points (bench/duplicates_seed.py). Last line:
  duplicates: <ms> ms CPU per report kept in memory, <ms> from the database (<ms> distance only), groups of <n>
  over <tickets> tickets (<db>)
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from sqlalchemy import create_engine, text  # noqa: E402

from bench._env import print_env  # noqa: E402
from bench.ingest import TEXTS, geo_points  # noqa: E402
from bot import duplicates  # noqa: E402
from bot.config import DuplicatesConfig  # noqa: E402
from bot.duplicate_candidates import KeptCandidates  # noqa: E402


def groups_of(conn, n_groups: int, size: int, rng: random.Random) -> list[list[dict]]:
    """New reports placed ~20 m from open ones, with a category and kelurahan of the history, ids above it."""
    points = geo_points(conn, n_groups * size)
    top = conn.execute(text("SELECT max(id) FROM ticket")).scalar() or 0
    kinds = conn.execute(text("SELECT DISTINCT category_code, area_code FROM ticket WHERE id > :f AND area_code "
                              "IS NOT NULL AND category_code IS NOT NULL LIMIT 500"), {"f": max(0, top - 50_000)}).all()
    groups, next_id = [], top + 1
    for g in range(n_groups):
        group = []
        for i in range(size):
            lat, lon = points[g * size + i]
            category, area = kinds[rng.randrange(len(kinds))]
            group.append(dict(id=next_id, latitude=lat, longitude=lon, category_code=category, area_code=area,
                              description=TEXTS[(g * size + i) % len(TEXTS)], geo_cell=duplicates.cell_of(lat, lon),
                              created_at=datetime.now(UTC)))
            next_id += 1
        groups.append(group)
    return groups


def per_report_ms(engine, groups: list[list[dict]], rules: DuplicatesConfig, now: datetime,
                  kept: KeptCandidates | None = None) -> tuple[float, int]:
    """Median CPU ms per report over the groups, and the links found."""
    costs, links = [], 0
    for group in groups:
        with engine.connect() as conn:
            queued = [duplicates.Queued(ticket, rules, now) for ticket in group]
            start = time.process_time()
            links += len(duplicates.find_links(conn, queued, kept))
            costs.append((time.process_time() - start) * 1000 / len(group))
    return statistics.median(costs), links


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a synchronous URL (sqlite:///..., postgresql://...)")
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--size", type=int, default=256, help="reports per group commit")
    args = parser.parse_args()
    print_env(args.database_url)
    engine = create_engine(args.database_url)
    with engine.connect() as conn:
        groups = groups_of(conn, args.groups, args.size, random.Random(15))
        tickets = conn.execute(text("SELECT count(*) FROM ticket")).scalar()
    now = datetime.now(UTC)
    full = DuplicatesConfig()
    per_report_ms(engine, groups[:2], full, now)  # warm the page cache and the statement caches
    whole, links = per_report_ms(engine, groups, full, now)
    distance, _ = per_report_ms(engine, groups, DuplicatesConfig(text_window_hours=0), now)
    kept = KeptCandidates(full.text_candidates, duplicates.TEXT_CHARS)
    with engine.connect() as conn:
        kept.warm(conn, now)
    per_report_ms(engine, groups[:2], full, now, kept)
    in_memory, kept_links = per_report_ms(engine, groups, full, now, kept)
    print(f"  {len(groups)} groups of {args.size}: from the database {links} links; whole lookup {whole:.3f} ms, "
          f"distance only {distance:.3f} ms, text test {whole - distance:.3f} ms CPU per report")
    print(f"  kept in memory: {kept_links} links, {in_memory:.3f} ms CPU per report")
    print(f"duplicates: {in_memory:.3f} ms CPU per report kept in memory, {whole:.3f} ms from the database "
          f"({distance:.3f} distance only), groups of {args.size} over {tickets} tickets ({engine.dialect.name})")


if __name__ == "__main__":
    main()
