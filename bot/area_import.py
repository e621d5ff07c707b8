"""Reading kelurahan polygons (GeoJSON or a zipped Shapefile), validating them and matching each
to the area list by code or by name. Used by ``aduan areas import`` and by the
``routing.boundaries_geojson`` file option, so both accept the same files the same way."""
from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.areas import KECAMATAN, KELURAHAN, Area
from bot.textnorm import tokenize

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

log = logging.getLogger(__name__)

# Property keys that carry a Kemendagri kelurahan code in the files operators get (BIG, BPS, Jakarta Satu).
CODE_KEYS = ("code", "kode", "kode_kelurahan", "kode_kel", "kode_desa", "village_code", "kd_kel", "kdepum",
             "kdpkab", "id_kel", "adm4_pcode", "kemendagri")
NAME_KEYS = ("village", "kelurahan", "nama_kelurahan", "nama_kel", "namobj", "desa", "wadmkd", "name", "nama",
             "adm4_en")
KECAMATAN_KEYS = ("district", "kecamatan", "nama_kecamatan", "nama_kec", "wadmkc", "adm3_en")
_NAME_PREFIX = re.compile(r"^(kelurahan|kel\.?|desa)\s+", re.IGNORECASE)


class BoundaryFileError(ValueError):
    """The file is not a FeatureCollection / zipped Shapefile that can be read."""


@dataclass
class ImportResult:
    """What an import matched, and what the operator must look at."""

    polygons: dict[str, BaseGeometry] = field(default_factory=dict)  # kelurahan code -> valid geometry
    unmatched: list[str] = field(default_factory=list)  # features no area was found for (described)
    rejected: list[str] = field(default_factory=list)  # features with empty or non-polygon geometry
    repaired: list[str] = field(default_factory=list)  # codes whose invalid geometry make_valid fixed
    duplicates: list[str] = field(default_factory=list)  # codes matched by more than one feature (merged)
    missing: list[str] = field(default_factory=list)  # kelurahan codes that got no polygon


def read_features(path: str | Path) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(properties, GeoJSON geometry) of every feature of a GeoJSON file or a zipped Shapefile."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        return _shapefile_features(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BoundaryFileError(f"{path}: neither GeoJSON nor a zipped Shapefile ({err})") from err
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise BoundaryFileError(f"{path}: a GeoJSON FeatureCollection is expected")
    return [((f.get("properties") or {}), f.get("geometry")) for f in data.get("features") or []
            if isinstance(f, dict)]


def _shapefile_features(path: Path) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    # pyshp: pure Python, so no GDAL/fiona wheels to build. A zip holds name.shp/.shx/.dbf (+.prj).
    import shapefile

    with zipfile.ZipFile(path) as zf:
        names = {Path(n).suffix.lower(): n for n in zf.namelist() if not n.startswith("__MACOSX")}
        if ".shp" not in names or ".dbf" not in names:
            raise BoundaryFileError(f"{path}: the zip holds no .shp and .dbf")
        parts = {ext: io.BytesIO(zf.read(names[ext])) for ext in (".shp", ".shx", ".dbf") if ext in names}
        prj = zf.read(names[".prj"]).decode("latin-1") if ".prj" in names else ""
    if "PROJCS" in prj.upper():
        raise BoundaryFileError(f"{path}: projected coordinates; reproject to WGS84 (EPSG:4326) first")
    with shapefile.Reader(shp=parts[".shp"], shx=parts.get(".shx"), dbf=parts[".dbf"], encoding="utf-8",
                          encodingErrors="replace") as reader:
        return [(dict(rec.record.as_dict()), rec.shape.__geo_interface__ if rec.shape.points else None)
                for rec in reader.iterShapeRecords()]


def valid_polygon(geometry: dict[str, Any] | None) -> tuple[BaseGeometry | None, bool]:
    """(the polygonal geometry, whether make_valid had to repair it); None for empty or non-polygons."""
    import shapely
    from shapely.geometry import shape

    if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return None, False
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError):
        return None, False
    repaired = False
    if not geom.is_valid:
        geom, repaired = shapely.make_valid(geom), True
        # make_valid may return a collection with stray lines/points: keep the polygonal part.
        polys = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type in ("Polygon", "MultiPolygon")]
        geom = shapely.union_all(polys) if polys else shapely.Polygon()
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None, repaired
    return geom, repaired


def _compact(name: str) -> str:
    return "".join(tokenize(_NAME_PREFIX.sub("", name.strip())))


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


class AreaMatcher:
    """Finds the kelurahan a feature's properties name: by code (with or without dots), else by
    normalised name, narrowed by the kecamatan name when several kelurahan share it."""

    def __init__(self, areas: Sequence[Area]) -> None:
        self.kelurahan = {a.code: a for a in areas if a.level == KELURAHAN}
        self._by_digits = {_digits(code): code for code in self.kelurahan}
        kec_names = {a.code: _compact(a.name) for a in areas if a.level == KECAMATAN}
        self._by_name: dict[str, list[tuple[str, str]]] = {}
        for area in self.kelurahan.values():
            self._by_name.setdefault(_compact(area.name), []).append((area.code, kec_names.get(area.parent_code or "", "")))

    def match(self, props: dict[str, Any]) -> str | None:
        lowered = {str(k).lower(): v for k, v in props.items()}
        for key in CODE_KEYS:
            raw = lowered.get(key)
            if raw not in (None, "") and (code := self._by_digits.get(_digits(str(raw)))) is not None:
                return code
        name = next((str(lowered[k]) for k in NAME_KEYS if lowered.get(k)), "")
        candidates = self._by_name.get(_compact(name), []) if name else []
        if len(candidates) > 1:
            kec = next((_compact(str(lowered[k])) for k in KECAMATAN_KEYS if lowered.get(k)), "")
            candidates = [c for c in candidates if c[1] == kec]
        return candidates[0][0] if len(candidates) == 1 else None


def _describe(index: int, props: dict[str, Any]) -> str:
    shown = {k: v for k, v in props.items() if str(k).lower() in (*CODE_KEYS, *NAME_KEYS, *KECAMATAN_KEYS)}
    return f"feature {index}: {shown or dict(list(props.items())[:4])}"


def match_features(features: Iterable[tuple[dict[str, Any], dict[str, Any] | None]],
                   areas: Sequence[Area]) -> ImportResult:
    """Validate and match every feature; several features of one kelurahan are merged."""
    import shapely

    matcher = AreaMatcher(areas)
    result = ImportResult()
    for i, (props, geometry) in enumerate(features):
        code = matcher.match(props)
        if code is None:
            result.unmatched.append(_describe(i, props))
            continue
        geom, repaired = valid_polygon(geometry)
        if geom is None:
            result.rejected.append(f"{code} ({_describe(i, props)})")
            continue
        if repaired:  # listed in the result (the log filter would mask a code as if it were a number)
            result.repaired.append(code)
        if code in result.polygons:
            result.duplicates.append(code)
            geom = shapely.union_all([result.polygons[code], geom])
        result.polygons[code] = geom
    result.missing = sorted(set(matcher.kelurahan) - set(result.polygons))
    return result


def load_boundary_file(path: str | Path, areas: Sequence[Area]) -> dict[str, BaseGeometry]:
    """The ``routing.boundaries_geojson`` option: the same reading and matching as an import."""
    result = match_features(read_features(path), areas)
    if result.unmatched or result.rejected or result.repaired:
        log.warning("boundary file %s: %d features not matched, %d rejected, %d repaired; "
                    "`aduan areas import FILE --dry-run` lists them", Path(path).name, len(result.unmatched),
                    len(result.rejected), len(result.repaired))
    return result.polygons
