"""Routing by coordinates against synthetic kelurahan polygons (tests/data/synthetic_kelurahan.geojson):
borders, holes, MultiPolygons, points outside every polygon, and the fallbacks without polygons."""
from __future__ import annotations

from pathlib import Path

import pytest
import shapely

from bot.area_import import AreaMatcher, match_features, read_features, valid_polygon
from bot.areas import Area
from bot.boundaries import BoundaryIndex, Centre
from bot.routing import NEAREST_CENTRE, NEEDS_PLACING, AreaMatch, AreaResolver, CoordinateFallback, load_areas_csv

ROOT = Path(__file__).resolve().parents[1]
AREAS_CSV = ROOT / "data" / "jakarta_areas.csv"
AREAS = load_areas_csv(AREAS_CSV)
SYNTHETIC = ROOT / "tests" / "data" / "synthetic_kelurahan.geojson"
GAMBIR, CIDENG, PETOJO_UTARA, PETOJO_SELATAN = "31.71.01.1001", "31.71.01.1002", "31.71.01.1003", "31.71.01.1004"
PULAU_PANGGANG, KEBON_KELAPA = "31.01.01.1001", "31.71.01.1005"
CIKINI = "31.71.06.1003"


def at(code: str, method: str = "coordinates", level: str = "kelurahan") -> AreaMatch:
    return AreaMatch(code, level, method)


@pytest.fixture(scope="module")
def imported():
    return match_features(read_features(SYNTHETIC), AREAS)


@pytest.fixture(scope="module")
def resolver(imported) -> AreaResolver:
    return AreaResolver(AREAS, BoundaryIndex(imported.polygons), CoordinateFallback("31.71", 5.0))


def test_import_matches_by_code_and_name_and_reports_the_rest(imported) -> None:
    assert sorted(imported.polygons) == [PULAU_PANGGANG, GAMBIR, CIDENG, PETOJO_UTARA, PETOJO_SELATAN]
    assert len(imported.unmatched) == 1 and "Antah Berantah" in imported.unmatched[0]
    assert len(imported.rejected) == 1 and imported.rejected[0].startswith(KEBON_KELAPA)  # a Point
    assert imported.repaired == [PETOJO_SELATAN]  # the bow tie
    assert imported.polygons[PETOJO_SELATAN].is_valid
    assert imported.polygons[PULAU_PANGGANG].geom_type == "MultiPolygon"
    assert len(imported.missing) == 267 - 5 and KEBON_KELAPA in imported.missing


def test_point_inside_polygons(resolver) -> None:
    assert resolver.resolve("", latitude=-6.199, longitude=106.801) == at(GAMBIR)
    assert resolver.resolve("", latitude=-6.195, longitude=106.815) == at(CIDENG)
    # Coordinates inside a polygon beat a name in the text.
    assert resolver.resolve("kel. Cikini", latitude=-6.195, longitude=106.815) == at(CIDENG)


def test_point_in_a_hole_belongs_to_the_enclave_not_the_outer_polygon(resolver) -> None:
    assert resolver.resolve("", latitude=-6.195, longitude=106.805) == at(PETOJO_UTARA)


def test_point_in_a_hole_with_no_enclave_is_outside() -> None:
    ring = [(0, 0), (4, 0), (4, 4), (0, 4)]
    donut = shapely.Polygon(ring, [[(1, 1), (3, 1), (3, 3), (1, 3)]])
    index = BoundaryIndex({GAMBIR: donut})
    assert index.locate(2, 2) is None  # latitude 2, longitude 2: the middle of the hole
    assert index.locate(0.5, 0.5) == GAMBIR
    assert index.locate(1, 2) == GAMBIR  # on the hole's edge: on the boundary counts


def test_points_on_borders_resolve_to_the_lowest_code(resolver) -> None:
    # Gambir | Cideng shared edge (x = 106.81), and the hole's edge Gambir | Petojo Utara.
    assert resolver.resolve("", latitude=-6.195, longitude=106.81) == at(GAMBIR)
    assert resolver.resolve("", latitude=-6.195, longitude=106.803) == at(GAMBIR)
    # The corner shared by Gambir, Cideng and Petojo Selatan.
    assert resolver.resolve("", latitude=-6.20, longitude=106.81) == at(GAMBIR)


def test_border_answer_does_not_depend_on_load_order(imported) -> None:
    reversed_polys = dict(reversed(list(imported.polygons.items())))
    index = BoundaryIndex(reversed_polys)
    assert index.locate(-6.195, 106.81) == GAMBIR
    assert index.locate(-6.2, 106.81) == GAMBIR


def test_multipolygon_both_islands(resolver) -> None:
    assert resolver.resolve("", latitude=-5.745, longitude=106.505) == at(PULAU_PANGGANG)
    assert resolver.resolve("", latitude=-5.715, longitude=106.535) == at(PULAU_PANGGANG)
    # Between the islands: in no polygon, but near the kelurahan's centre: approximate.
    between = resolver.resolve("", latitude=-5.73, longitude=106.52)
    assert between == at(PULAU_PANGGANG, NEAREST_CENTRE)


def test_outside_every_polygon_uses_the_text_first(resolver) -> None:
    assert resolver.resolve("kel. Cikini", latitude=-6.30, longitude=106.90) == at(CIKINI, "name")


def test_outside_every_polygon_nearest_centre_then_city_level(resolver) -> None:
    # 1.2 km south of the synthetic polygons: the nearest centre is Petojo Selatan's (approximate).
    assert resolver.resolve("", latitude=-6.215, longitude=106.805) == at(PETOJO_SELATAN, NEAREST_CENTRE)
    # Far away (Depok): no centre within 5 km, so the configured city-level area, flagged.
    assert resolver.resolve("", latitude=-6.40, longitude=106.82) == at("31.71", NEEDS_PLACING, "kota")
    # Not even a valid point: the text decides, and with no text nothing places it.
    assert resolver.resolve("", latitude=float("nan"), longitude=106.8) is None


def test_without_polygons_nearest_known_centre() -> None:
    index = BoundaryIndex({}, [Centre(CIDENG, -6.1714, 106.8103), Centre(CIKINI, -6.1925, 106.8392)])
    resolver = AreaResolver(AREAS, index)
    assert resolver.resolve("", latitude=-6.19, longitude=106.835) == at(CIKINI, NEAREST_CENTRE)
    assert resolver.resolve("", latitude=-6.17, longitude=106.81) == at(CIDENG, NEAREST_CENTRE)
    # Equidistant: the lowest code.
    twin = BoundaryIndex({}, [Centre(CIKINI, 0.0, 0.01), Centre(CIDENG, 0.0, -0.01)])
    assert twin.nearest_centre(0.0, 0.0, 5.0) == CIDENG


def test_without_anything_a_report_with_coordinates_goes_to_city_level() -> None:
    default = AreaResolver(AREAS)  # no unplaced_area configured: the lowest kota code
    assert default.resolve("", latitude=-6.2, longitude=106.8) == at("31.01", NEEDS_PLACING, "kota")
    configured = AreaResolver(AREAS, None, CoordinateFallback("31.74"))
    assert configured.resolve("jalan rusak", latitude=-6.2, longitude=106.8) == at("31.74", NEEDS_PLACING, "kota")
    assert configured.resolve("jalan rusak") is None  # no coordinates: triage as before
    with pytest.raises(ValueError, match="not in the area list"):
        AreaResolver(AREAS, None, CoordinateFallback("99"))


def test_use_boundaries_swaps_the_index(imported) -> None:
    resolver = AreaResolver(AREAS)
    assert resolver.resolve("", latitude=-6.195, longitude=106.815).method == NEEDS_PLACING
    resolver.use_boundaries(BoundaryIndex(imported.polygons))
    assert resolver.resolve("", latitude=-6.195, longitude=106.815) == at(CIDENG)


def test_boundaries_file_option_is_the_same_code_path() -> None:
    resolver = AreaResolver.from_files(AREAS_CSV, SYNTHETIC)
    assert resolver.resolve("", latitude=-6.195, longitude=106.805) == at(PETOJO_UTARA)
    assert resolver.resolve("", latitude=-6.195, longitude=106.81) == at(GAMBIR)


def test_name_match_uses_kecamatan_when_names_repeat() -> None:
    areas = [Area("1", "Kota", "kota", None), Area("1.1", "Timur", "kecamatan", "1"),
             Area("1.2", "Barat", "kecamatan", "1"), Area("1.1.1", "Sukamaju", "kelurahan", "1.1"),
             Area("1.2.1", "Sukamaju", "kelurahan", "1.2")]
    matcher = AreaMatcher(areas)
    assert matcher.match({"name": "Kel. Sukamaju", "kecamatan": "BARAT"}) == "1.2.1"
    assert matcher.match({"name": "Sukamaju"}) is None  # ambiguous without the kecamatan
    assert matcher.match({"KODE_KEL": "121"}) == "1.2.1"


def test_valid_polygon_rejects_empty_and_non_polygons() -> None:
    assert valid_polygon(None) == (None, False)
    assert valid_polygon({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}) == (None, False)
    assert valid_polygon({"type": "Polygon", "coordinates": []}) == (None, False)
    geom, repaired = valid_polygon({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]})
    assert repaired and geom is not None and geom.is_valid and geom.area == pytest.approx(0.5)


def test_shipped_kelurahan_polygons() -> None:
    """data/jakarta_kelurahan.geojson (cahyadsn/wilayah_boundaries, MIT): every kelurahan, valid, and landmarks
    land where they are."""
    result = match_features(read_features(ROOT / "data" / "jakarta_kelurahan.geojson"), AREAS)
    assert len(result.polygons) == 267
    assert result.unmatched == result.rejected == result.repaired == result.missing == []
    index = BoundaryIndex(result.polygons)
    assert index.locate(-6.1754, 106.8272) == GAMBIR  # Monas
    assert index.locate(-6.1925, 106.8392) == CIKINI  # Taman Ismail Marzuki
    assert index.locate(-6.1215, 106.8750) is not None  # Tanjung Priok, Jakarta Utara
    assert index.locate(-6.595, 106.80) is None  # Bogor is not Jakarta
    # Shared borders overlap by almost nothing: the sum of the areas is within 0.1 % of their union.
    polys = list(result.polygons.values())
    assert sum(p.area for p in polys) == pytest.approx(shapely.union_all(polys).area, rel=1e-3)


def test_nearest_centre_equals_the_great_circle_nearest() -> None:
    """The tree's planar shortlist never loses the true (haversine) nearest centre."""
    import random

    from bot.boundaries import distance_km

    result = match_features(read_features(ROOT / "data" / "jakarta_kelurahan.geojson"), AREAS)
    index = BoundaryIndex(result.polygons)
    centres = index._centres  # comparing against the brute force
    rng = random.Random(7)
    for _ in range(2000):
        lat, lon = rng.uniform(-6.45, -5.6), rng.uniform(106.3, 107.1)
        brute = min(centres, key=lambda c: (distance_km(lat, lon, c.latitude, c.longitude), c.code))
        assert index.nearest_centre(lat, lon, 1000.0) == brute.code
