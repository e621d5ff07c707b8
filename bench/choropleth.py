"""Choropleth benchmark (issue 15: "The choropleth renders with 267 shapes in under 100 ms").

Builds the map paths once from the shipped polygons (data/jakarta_kelurahan.geojson), as the server does
when its boundaries load, then renders the province's map with random figures. Process time, best of N.
Printed: the conditions (bench/_env.py: load average, CPU calibration loop), the one-off costs, the
SVG's size. The last line is exactly:
  choropleth: <ms> ms per render of <n> shapes (best of <N>), paths built in <ms> ms, <kB> kB SVG
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ would come first on sys.path, and bench/email.py would shadow the standard
# library's email package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench._env import describe  # noqa: E402

from bot.area_import import load_boundary_file  # noqa: E402
from bot.areas import load_areas_csv  # noqa: E402
from bot.map_shapes import build_map_shapes  # noqa: E402
from bot.web.choropleth import MapArea, render  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=50, help="renders; the best is printed (default 50)")
    args = parser.parse_args()
    print(describe(None)[0], flush=True)  # load, calibration, CPU, Python (no database involved)
    areas = load_areas_csv(ROOT / "data" / "jakarta_areas.csv")
    polygons = load_boundary_file(ROOT / "data" / "jakarta_kelurahan.geojson", areas)
    start = time.process_time()
    shapes = build_map_shapes(polygons)
    built = time.process_time() - start
    rng = random.Random(15)
    names = {a.code: a.name for a in areas if a.level == "kelurahan"}
    items = [MapArea(code, names.get(code, code), f"/dashboard/{code}", rng.randint(0, 400)) for code in shapes.shapes]
    best, svg = float("inf"), ""
    for _ in range(args.repeat):
        start = time.process_time()
        svg, _legend = render(shapes, items, colour_by="terlambat", title="Peta", desc="Laporan terlambat",
                              value_label="laporan terlambat", inset_label="Kepulauan Seribu")
        best = min(best, time.process_time() - start)
    print(f"{len(polygons)} polygons, {sum(p.count('M') for p in (s.path for s in shapes.shapes.values()))} rings")
    print(f"choropleth: {best * 1e3:.2f} ms per render of {svg.count('<path')} shapes (best of {args.repeat}), "
          f"paths built in {built * 1e3:.0f} ms, {len(svg.encode()) / 1024:.0f} kB SVG")


if __name__ == "__main__":
    main()
