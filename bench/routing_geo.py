"""Routing-by-coordinates benchmark: the shipped 267 kelurahan polygons (data/jakarta_kelurahan.geojson).

Printed: the load average and a CPU calibration figure (bench/outbound.py's loop), the time to read,
validate and match the file, to build the STRtree index, and the cost of one point lookup
(points inside Jakarta's bounding box, so most hit a polygon and the rest fall back to the
nearest centre). The last line is exactly:
  routing_geo: <us> us/locate, <us> us/resolve (coordinates only), load <ms> ms, index <ms> ms
"""
from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ would come first on sys.path, and bench/email.py would shadow the standard
# library's email package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench._env import calibration  # noqa: E402

from bot.area_import import load_boundary_file  # noqa: E402
from bot.areas import load_areas_csv  # noqa: E402
from bot.boundaries import BoundaryIndex  # noqa: E402
from bot.routing import AreaResolver  # noqa: E402

N = 100_000


def main() -> None:
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; calibration loop {calibration():.3f} s", flush=True)
    areas = load_areas_csv(ROOT / "data" / "jakarta_areas.csv")
    start = time.perf_counter()
    polygons = load_boundary_file(ROOT / "data" / "jakarta_kelurahan.geojson", areas)
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    index = BoundaryIndex(polygons)
    indexed = time.perf_counter() - start
    rng = random.Random(15)
    points = [(rng.uniform(-6.37, -6.09), rng.uniform(106.69, 106.97)) for _ in range(N)]
    start = time.perf_counter()
    hits = sum(1 for lat, lon in points if index.locate(lat, lon) is not None)
    locate = (time.perf_counter() - start) / N
    resolver = AreaResolver(areas, index)
    start = time.perf_counter()
    methods: dict[str, int] = {}
    for lat, lon in points:
        match = resolver.resolve("", lat, lon)
        assert match is not None
        methods[match.method] = methods.get(match.method, 0) + 1
    resolve = (time.perf_counter() - start) / N
    print(f"{len(polygons)} polygons; {N} points: {hits} inside a polygon; resolve methods {methods}")
    print(f"routing_geo: {locate * 1e6:.1f} us/locate, {resolve * 1e6:.1f} us/resolve (coordinates only), "
          f"load {loaded * 1e3:.0f} ms, index {indexed * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
