"""Categorisation: the catalogue fragment, text normalisation and the keyword scorer."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.categorize import CategoryRule, Categorizer, rules_from_catalogue
from bot.routing import load_areas_csv
from bot.textnorm import FuzzyVocabulary, damerau_levenshtein, normalize, tokenize

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = yaml.safe_load((ROOT / "config_fragments" / "jakarta_catalogue.yaml").read_text("utf-8"))
CASES = yaml.safe_load((ROOT / "tests" / "data" / "complaints.yaml").read_text("utf-8"))["cases"]
CATEGORIZER = Categorizer(rules_from_catalogue(CATALOGUE["categories"]))


# -- the corpus -------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_corpus_category(case: dict) -> None:
    assert CATEGORIZER.categorize(case["text"]) == case["category"], CATEGORIZER.scores(case["text"])


def test_corpus_is_big_and_covers_the_catalogue() -> None:
    assert len(CASES) >= 60
    assert len({c["id"] for c in CASES}) == len(CASES)
    codes = {c["code"] for c in CATALOGUE["categories"]}
    used = {c["category"] for c in CASES}
    assert used <= codes
    assert codes - used == set(), "every category should have at least one corpus case"


# -- the catalogue fragment -------------------------------------------------


def test_catalogue_shape() -> None:
    assert set(CATALOGUE) == {"agencies", "categories"}
    agencies = {a["code"]: a for a in CATALOGUE["agencies"]}
    assert len(agencies) == len(CATALOGUE["agencies"])
    for agency in agencies.values():
        assert set(agency) == {"code", "name", "parent"}
        assert agency["parent"] is None or agency["parent"] in agencies
    assert {"DLH", "DISHUB", "DBM", "DPHK", "DSDA", "SATPOL_PP", "DCKTRP", "GULKARMAT",
            "DUKCAPIL", "DINKES", "DINSOS", "PAM_JAYA", "BIRO_PEM"} <= set(agencies)
    assert any(a["parent"] for a in agencies.values()), "at least one Suku Dinas example"
    codes = [c["code"] for c in CATALOGUE["categories"]]
    assert len(codes) == len(set(codes))
    for cat in CATALOGUE["categories"]:
        assert set(cat) == {"code", "name_id", "name_en", "agency", "keywords",
                            "coordinate_hours", "resolve_hours", "priority"}
        assert cat["agency"] is None or cat["agency"] in agencies
        assert cat["code"] == "lainnya" or cat["keywords"], cat["code"]
    lainnya = next(c for c in CATALOGUE["categories"] if c["code"] == "lainnya")
    assert lainnya["agency"] is None
    assert {"sampah", "parkir_liar", "jalan_rusak", "pohon", "banjir", "saluran_air", "pkl",
            "pelanggaran_perda", "fasilitas_umum", "lampu_pju", "kebisingan",
            "ketertiban"} <= set(codes)


def test_rules_from_catalogue_skips_keywordless_categories() -> None:
    rules = rules_from_catalogue(
        [{"code": "a", "keywords": ["x"], "priority": 2}, {"code": "lainnya", "keywords": []}]
    )
    assert rules == [CategoryRule("a", ("x",), 2)]


def test_area_names_never_fuzz_into_keywords() -> None:
    # "Kebon Jeruk" must not count as "keruk" (dredging), "Bangka" as "bangkai".
    words = {w for a in load_areas_csv(ROOT / "data" / "jakarta_areas.csv") for w in tokenize(a.name)}
    fuzzed = {w: CATEGORIZER._canonical(w) for w in words}
    assert {w: c for w, c in fuzzed.items() if c and c[1]} == {}


# -- text normalisation -----------------------------------------------------


def test_normalize_strips_case_accents_and_punctuation() -> None:
    assert normalize("  Jl. Kémang   Raya,RT.03/RW.05!! ") == "jl kemang raya rt 03 rw 05"


def test_tokenize_expands_abbreviations_and_reduplication() -> None:
    assert tokenize("Jln rusak yg dkt gg. mawar, kel. X gak diperbaiki2") == [
        "jalan", "rusak", "yang", "dekat", "gang", "mawar", "kelurahan", "x", "tidak",
        "diperbaiki", "diperbaiki",
    ]
    assert tokenize("udh bgt tdk blm sdh dr krn tp sm utk bnyk") == [
        "sudah", "banget", "tidak", "belum", "sudah", "dari", "karena", "tapi", "sama",
        "untuk", "banyak",
    ]
    assert tokenize("rt03 rw2 jaksel") == ["rt", "03", "rw", "2", "jakarta", "selatan"]
    assert tokenize("sampahnya") == ["sampah"]
    assert tokenize("jl", expand=False) == ["jl"]


def test_damerau_levenshtein() -> None:
    assert damerau_levenshtein("sampah", "sampha") == 1  # transposition
    assert damerau_levenshtein("sampah", "smpah") == 1
    assert damerau_levenshtein("lubang", "lobang") == 1
    assert damerau_levenshtein("banjir", "parkir") == 3
    assert damerau_levenshtein("banjir", "parkir", max_distance=1) == 2


def test_fuzzy_vocabulary() -> None:
    vocab = FuzzyVocabulary(["sampah", "berlubang", "pohon", "bocor"])
    assert vocab.lookup("sampah") == "sampah"
    assert vocab.lookup("smpah") == "sampah"
    assert vocab.lookup("sampha") == "sampah"
    assert vocab.lookup("berlobang") == "berlubang"  # substitution in a long word
    assert vocab.lookup("bogor") is None  # substitution in a short word: another word
    assert vocab.lookup("mohon") is None  # a protected ordinary word
    assert vocab.lookup("sampai") is None
    assert vocab.lookup("smph") is None  # too short for typo tolerance
    assert FuzzyVocabulary(["parkir", "parkit"]).lookup("parkis") is None  # ambiguous


# -- scoring ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, category",
    [
        ("smpah numpuk di dpn rumah", "sampah"),
        ("sampha berserakan", "sampah"),
        ("jalan berlobang", "jalan_rusak"),
        ("jalan berlubang", "jalan_rusak"),
        ("ada lubang gede", "jalan_rusak"),
        ("jl bolong2", "jalan_rusak"),
        ("pohonnya mau tumbang", "pohon"),
        ("tolong dipangkas", "pohon"),
        ("banjr", "banjir"),
    ],
)
def test_typo_and_slang_tolerance(text: str, category: str) -> None:
    assert CATEGORIZER.categorize(text) == category


def test_ordinary_words_are_not_typos() -> None:
    assert CATEGORIZER.categorize("mohon ditindaklanjuti sampai sekarang") == "lainnya"
    assert CATEGORIZER.categorize("warga ngamuk") == "lainnya"  # not "nyamuk"


def test_phrase_beats_single_word() -> None:
    # "lampu merah" (traffic light) outweighs the single word "lampu" (street light).
    assert CATEGORIZER.categorize("lampu merah mati") == "lalu_lintas"
    assert CATEGORIZER.categorize("lampu mati") == "lampu_pju"
    scores = dict(CATEGORIZER.scores("lampu merah mati"))
    assert scores["lalu_lintas"] > scores["lampu_pju"]


def test_keyword_counted_once_and_fuzzy_discounted() -> None:
    cat = Categorizer([CategoryRule("a", ("sampah",)), CategoryRule("b", ("parkir liar",))])
    assert cat.scores("sampah sampah sampah") == [("a", 1.0)]
    assert cat.scores("smpah") == [("a", 0.8)]
    assert cat.scores("parkir liar") == [("b", 2.5)]


def test_priority_breaks_ties_then_rule_order() -> None:
    rules = [CategoryRule("first", ("api",)), CategoryRule("urgent", ("asap",), priority=5)]
    assert Categorizer(rules).categorize("ada api dan asap") == "urgent"
    rules = [CategoryRule("first", ("api",)), CategoryRule("second", ("asap",))]
    assert Categorizer(rules).categorize("ada api dan asap") == "first"


def test_fallback() -> None:
    assert CATEGORIZER.categorize("") == "lainnya"
    assert CATEGORIZER.scores("") == []
    assert Categorizer([], fallback="triage").categorize("sampah") == "triage"


def test_scores_are_sorted_best_first() -> None:
    scores = CATEGORIZER.scores("got mampet bikin banjir dan sampah numpuk")
    assert [s for _, s in scores] == sorted((s for _, s in scores), reverse=True)
    assert scores[0][0] == "saluran_air"
