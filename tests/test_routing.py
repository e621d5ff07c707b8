"""Area routing: area loading, name/postal-code matching and coordinates."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.area_import import match_features
from bot.boundaries import BoundaryIndex
from bot.routing import Area, AreaMatch, AreaResolver, load_areas_csv

ROOT = Path(__file__).resolve().parents[1]
AREAS_CSV = ROOT / "data" / "jakarta_areas.csv"
AREAS = load_areas_csv(AREAS_CSV)
RESOLVER = AreaResolver(AREAS)
CASES = yaml.safe_load((ROOT / "tests" / "data" / "complaints.yaml").read_text("utf-8"))["cases"]

# Kemendagri codes used below.
GAMBIR_KEC, GAMBIR_KEL, CIDENG = "31.71.01", "31.71.01.1001", "31.71.01.1002"
CIKINI = "31.71.06.1003"
TEBET_KEC, TEBET_TIMUR = "31.74.01", "31.74.01.1001"
MAMPANG_KEC, BANGKA = "31.74.03", "31.74.03.1002"
KUNINGAN_TIMUR, KUNINGAN_BARAT = "31.74.02.1008", "31.74.03.1005"
JATINEGARA_KEC, JATINEGARA_KEL = "31.75.03", "31.75.06.1001"
TENGAH = "31.75.04.1002"


def kel(code: str, method: str = "name") -> AreaMatch:
    return AreaMatch(code, "kelurahan", method)


def kec(code: str, method: str = "name") -> AreaMatch:
    return AreaMatch(code, "kecamatan", method)


# -- loading ----------------------------------------------------------------


def test_load_areas_csv_counts_and_links() -> None:
    levels = Counter(a.level for a in AREAS)
    assert levels == {"kota": 6, "kecamatan": 44, "kelurahan": 267}
    assert len({a.code for a in AREAS}) == len(AREAS)
    by_code = {a.code: a for a in AREAS}
    assert by_code[GAMBIR_KEL] == Area(GAMBIR_KEL, "Gambir", "kelurahan", GAMBIR_KEC, "10110")
    assert by_code[GAMBIR_KEC].parent_code == "31.71"
    assert by_code["31.71"].parent_code is None
    for area in AREAS:
        if area.level != "kota":
            assert by_code[area.parent_code].level == ("kota" if area.level == "kecamatan" else "kecamatan")
        assert (area.postal_code is not None) == (area.level == "kelurahan")


# -- the corpus -------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_corpus_area(case: dict) -> None:
    match = RESOLVER.resolve(case["text"])
    if case["area"] is None:
        assert match is None
    else:
        assert match is not None
        assert (match.code, match.level) == (case["area"], case["area_level"])
        assert RESOLVER.get(match.code).level == case["area_level"]


# -- names ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Kel. Pulogadung", kel("31.75.02.1001")),
        ("kelurahan pulo gadung", kel("31.75.02.1001")),
        ("kel cempaka putih timur", kel("31.71.05.1001")),
        ("di kec. tebet", kec(TEBET_KEC)),
        ("Cengkareng Barat", kel("31.73.01.1001")),
        ("RAWA MANGUN", kel("31.75.02.1005")),
        ("rawamangun", kel("31.75.02.1005")),
        ("kebun jeruk", kel("31.73.05.1001")),
        ("Pal Merah", kel("31.73.07.1001")),
        ("pegangsaan 2", kel("31.72.06.1002")),  # "2" read as "dua"
        ("kel. rawamangn", kel("31.75.02.1005")),  # one typo after a marker
    ],
)
def test_names_written_many_ways(text: str, expected: AreaMatch) -> None:
    assert RESOLVER.resolve(text) == expected


def test_marker_decides_between_kecamatan_and_kelurahan() -> None:
    assert RESOLVER.resolve("sampah di Gambir") == kel(GAMBIR_KEL)  # unmarked: the kelurahan
    assert RESOLVER.resolve("sampah di kel. Gambir") == kel(GAMBIR_KEL)
    assert RESOLVER.resolve("sampah di kec. Gambir") == kec(GAMBIR_KEC)
    assert RESOLVER.resolve("sampah di kecamatan gambir") == kec(GAMBIR_KEC)


def test_kelurahan_preferred_over_kecamatan() -> None:
    assert RESOLVER.resolve("Kec. Gambir, Kel. Cideng") == kel(CIDENG)
    assert RESOLVER.resolve("Cideng, kecamatan Gambir") == kel(CIDENG)
    assert RESOLVER.resolve("Kel. Bangka Kec. Mampang Prapatan") == kel(BANGKA)


def test_street_names_do_not_beat_explicit_kelurahan() -> None:
    assert RESOLVER.resolve("Jl. Cikini Raya, kel. Cideng") == kel(CIDENG)
    assert RESOLVER.resolve("Jl. Gambir no 3 Kel. Cikini") == kel(CIKINI)
    # Alone, a street-context name is only a last resort.
    assert RESOLVER.resolve("Jl. Tebet Raya no 5") == kec(TEBET_KEC)
    # "Kartini" is also an ordinary person's name: never taken from a street.
    assert RESOLVER.resolve("parkir liar di Jl. Kartini") is None


def test_ambiguous_names() -> None:
    # Kuningan Timur (Setiabudi) and Kuningan Barat (Mampang Prapatan).
    assert RESOLVER.resolve("macet di Kuningan") is None
    assert RESOLVER.resolve("Kuningan, kec. Setiabudi") == kel(KUNINGAN_TIMUR)
    assert RESOLVER.resolve("Kuningan 12710") == kel(KUNINGAN_BARAT)
    # Both "Tebet ..." kelurahan share Tebet: fall back to the kecamatan.
    assert RESOLVER.resolve("kel. tebet") == kec(TEBET_KEC)
    # "Kelapa Dua" (Jakarta Barat) vs "Kelapa Dua Wetan" (Jakarta Timur).
    assert RESOLVER.resolve("Kelapa Dua") == kel("31.73.05.1004")
    assert RESOLVER.resolve("Kelapa Dua, Jaktim") == kel("31.75.09.1003")


def test_name_of_kelurahan_in_another_kecamatan() -> None:
    # Kelurahan Jatinegara lies in Cakung; the bare name means kecamatan Jatinegara.
    assert RESOLVER.resolve("stasiun Jatinegara") == kec(JATINEGARA_KEC)
    assert RESOLVER.resolve("kel. Jatinegara") == kel(JATINEGARA_KEL)
    assert RESOLVER.resolve("Jatinegara, Cakung") == kel(JATINEGARA_KEL)


def test_generic_words_need_a_marker_or_confirmation() -> None:
    assert RESOLVER.resolve("sampah di tengah jalan") is None
    assert RESOLVER.resolve("kel. Tengah") == kel(TENGAH)
    assert RESOLVER.resolve("Tengah, Kramat Jati") == kel(TENGAH)


# -- postal codes -----------------------------------------------------------


def test_postal_codes() -> None:
    assert RESOLVER.resolve("kode pos 12730") == kel(BANGKA, "postal_code")
    # 12160 = Melawai and Pulo, both in Kebayoran Baru.
    assert RESOLVER.resolve("12160") == kec("31.74.07", "postal_code")
    # A postal code sharpens a kecamatan-level name to a kelurahan.
    assert RESOLVER.resolve("Kec. Mampang Prapatan 12730") == kel(BANGKA, "postal_code")
    # A name wins over a contradicting postal code.
    assert RESOLVER.resolve("Kel. Cideng 12730") == kel(CIDENG)
    # Not Jakarta postal codes: Depok, a price, a phone number.
    assert RESOLVER.resolve("Beji 16424") is None
    assert RESOLVER.resolve("dipalak Rp 10000") is None
    assert RESOLVER.resolve("hubungi 081212730000") is None


def test_nothing_locatable() -> None:
    assert RESOLVER.resolve("") is None
    assert RESOLVER.resolve("sampah numpuk di depan rumah") is None
    assert RESOLVER.resolve("banjir di Jakarta Selatan") is None  # a kota alone is too coarse


# -- coordinates ------------------------------------------------------------


def square(x0: float, y0: float, size: float) -> dict:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


BOUNDARIES = {
    "type": "FeatureCollection",
    "features": [
        # Two adjacent squares near Gambir; lon/lat order as GeoJSON requires.
        {"type": "Feature", "properties": {"kode": GAMBIR_KEL}, "geometry": square(106.80, -6.20, 0.01)},
        {"type": "Feature", "properties": {"village_code": "3171011002"},  # undotted code
         "geometry": square(106.81, -6.20, 0.01)},
        {"type": "Feature", "properties": {"code": "99.99.99.9999"}, "geometry": square(0, 0, 1)},
    ],
}


def boundary_index(collection: dict) -> BoundaryIndex:
    features = [(f["properties"], f["geometry"]) for f in collection["features"]]
    return BoundaryIndex(match_features(features, AREAS).polygons)


def test_coordinates_inside_polygons() -> None:
    resolver = AreaResolver(AREAS, boundary_index(BOUNDARIES))
    assert resolver.resolve("", latitude=-6.195, longitude=106.805) == kel(GAMBIR_KEL, "coordinates")
    assert resolver.resolve("", latitude=-6.195, longitude=106.815) == kel(CIDENG, "coordinates")
    # Coordinates win over a name in the text.
    assert resolver.resolve("kel. Cikini", latitude=-6.195, longitude=106.815) == kel(CIDENG, "coordinates")


def test_coordinates_outside_all_polygons_fall_back_to_text() -> None:
    resolver = AreaResolver(AREAS, boundary_index(BOUNDARIES))
    assert resolver.resolve("kel. Cikini", latitude=-6.10, longitude=106.90) == kel(CIKINI)
    # Nothing in the text: never left without an area (tests/test_routing_geo.py has the details).
    assert resolver.resolve("", latitude=-6.10, longitude=106.90) == AreaMatch("31.01", "kota", "needs_placing")
    assert resolver.resolve("kel. Cikini") == kel(CIKINI)  # no coordinates at all
    # The feature with an unknown code was skipped, not matched.
    assert resolver.resolve("", latitude=0.5, longitude=0.5).method == "needs_placing"
    assert resolver.resolve("kel. Cikini", latitude=float("nan"), longitude=106.8) == kel(CIKINI)


def test_coordinates_ignored_without_boundaries() -> None:
    assert RESOLVER.resolve("kel. Cikini", latitude=-6.195, longitude=106.805) == kel(CIKINI)


def test_from_files(tmp_path: Path) -> None:
    geojson = tmp_path / "kelurahan.geojson"
    geojson.write_text(json.dumps(BOUNDARIES), "utf-8")
    resolver = AreaResolver.from_files(AREAS_CSV, geojson)
    assert resolver.resolve("", latitude=-6.195, longitude=106.805) == kel(GAMBIR_KEL, "coordinates")
    assert AreaResolver.from_files(AREAS_CSV).resolve("kel. Cikini") == kel(CIKINI)
