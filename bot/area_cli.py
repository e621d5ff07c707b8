"""``aduan areas import FILE [--dry-run]`` and ``aduan areas import-centres FILE``: store kelurahan
polygons (or only their centres) with the areas, and say what did not match."""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from bot.area_import import ImportResult
    from bot.config import AppConfig

# bot.cli builds this command's parser for every command: the importers (rapidfuzz, the areas CSV reader,
# geometry helpers) are imported where they are used, so `aduan report` does not load them.

MAX_LISTED = 30  # unmatched/missing lines printed before "... and N more"


def add_parser(sub: Any) -> None:
    areas = sub.add_parser("areas", help="kelurahan boundaries: import polygons or centres")
    areas_sub = areas.add_subparsers(dest="areas_command", metavar="{import,import-centres}", required=True)
    imp = areas_sub.add_parser("import", help="store kelurahan polygons from GeoJSON or a zipped Shapefile")
    imp.add_argument("file", help="GeoJSON FeatureCollection (Polygon/MultiPolygon) or .zip with .shp/.shx/.dbf")
    imp.add_argument("--dry-run", action="store_true", help="validate and match only; store nothing")
    centres = areas_sub.add_parser("import-centres", help="store kelurahan centres from a CSV (code,latitude,longitude)")
    centres.add_argument("file", help="CSV with columns code (or village_code), latitude, longitude")
    centres.add_argument("--dry-run", action="store_true", help="validate only; store nothing")


def _print_list(out: TextIO, title: str, items: list[str]) -> None:
    if not items:
        return
    print(f"{title}: {len(items)}", file=out)
    for item in items[:MAX_LISTED]:
        print(f"  {item}", file=out)
    if len(items) > MAX_LISTED:
        print(f"  ... and {len(items) - MAX_LISTED} more", file=out)


def print_result(result: ImportResult, total: int, out: TextIO) -> None:
    print(f"{total} features read, {len(result.polygons)} kelurahan matched", file=out)
    _print_list(out, "not matched to any kelurahan", result.unmatched)
    _print_list(out, "rejected (empty or not a polygon)", result.rejected)
    _print_list(out, "invalid geometry repaired with make_valid", result.repaired)
    _print_list(out, "several features merged into one kelurahan", result.duplicates)
    _print_list(out, "kelurahan without a polygon", result.missing)


def geometry_rows(result: ImportResult, source: str, now: datetime) -> list[dict[str, Any]]:
    import shapely

    from bot.boundaries import polygon_centre

    rows = []
    for code, geom in sorted(result.polygons.items()):
        centre = polygon_centre(code, geom)
        rows.append(dict(area_code=code, geojson=json.dumps(shapely.geometry.mapping(geom)),
                         centroid_lat=centre.latitude, centroid_lon=centre.longitude, source=source, imported_at=now))
    return rows


def centre_rows(path: Path, codes: set[str], source: str, now: datetime) -> tuple[list[dict[str, Any]], list[str]]:
    from bot.boundaries import valid_point

    digits = {"".join(ch for ch in c if ch.isdigit()): c for c in codes}
    rows, bad = [], []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for i, rec in enumerate(csv.DictReader(fh), start=2):
            raw = (rec.get("code") or rec.get("village_code") or "").strip()
            code = digits.get("".join(ch for ch in raw if ch.isdigit()))
            try:
                lat, lon = float(rec.get("latitude") or ""), float(rec.get("longitude") or "")
            except ValueError:
                lat = lon = float("nan")
            if code is None or not valid_point(lat, lon):
                bad.append(f"line {i}: {raw!r} {rec.get('latitude')!r},{rec.get('longitude')!r}")
                continue
            rows.append(dict(area_code=code, centroid_lat=lat, centroid_lon=lon, source=source, imported_at=now))
    return rows, bad


def _store(config: "AppConfig", write: Callable[[Any], int]) -> int:
    from bot.config import resolved_database_url
    from store.db import Database
    from store.migrate import upgrade

    url = resolved_database_url(config)
    upgrade(url)  # the table may be newer than the database

    async def go() -> int:
        db = Database(url)
        try:
            return await db.write(write)
        finally:
            await db.close()

    return asyncio.run(go())


def run_areas(config: "AppConfig", args: argparse.Namespace, now: datetime, out: TextIO = sys.stdout) -> int:
    from bot.area_import import BoundaryFileError, match_features, read_features
    from bot.areas import KELURAHAN, load_areas_csv
    from store import area_geometry as store

    areas = load_areas_csv(config.path(config.routing.areas_csv))
    path = Path(args.file)
    if args.areas_command == "import-centres":
        codes = {a.code for a in areas if a.level == KELURAHAN}
        rows, bad = centre_rows(path, codes, path.name, now)
        print(f"{len(rows)} centres read", file=out)
        _print_list(out, "lines not matched or without valid coordinates", bad)
        if not args.dry_run and rows:
            print(f"{_store(config, lambda conn: store.upsert_centres(conn, rows))} centres stored", file=out)
        return 0 if rows else 1
    try:
        features = read_features(path)
    except (BoundaryFileError, OSError) as err:
        print(f"areas import: {err}", file=sys.stderr)
        return 2
    result = match_features(features, areas)
    print_result(result, len(features), out)
    if args.dry_run or not result.polygons:
        print("dry run: nothing stored" if args.dry_run else "nothing to store", file=out)
        return 0 if result.polygons else 1
    rows = geometry_rows(result, path.name, now)
    stored = _store(config, lambda conn: store.upsert_geometries(conn, rows))
    print(f"{stored} kelurahan polygons stored; a running server picks them up within "
          f"{config.routing.boundaries_reload_minutes} minutes", file=out)
    return 0
