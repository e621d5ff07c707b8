"""Jakarta's administrative areas: the records, the CSV they are loaded from, and the words
citizens use for them (spelling variants, aliases, generic names, markers) that ``bot.routing``
matches complaint texts against. Split from bot/routing.py to keep each module under 400 lines."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

KOTA = "kota"
KECAMATAN = "kecamatan"
KELURAHAN = "kelurahan"

# Token-level spelling variants, applied to official names and to text alike.
NAME_VARIANTS: dict[str, str] = {
    "kebun": "kebon", "pulau": "pulo", "pd": "pondok", "pdk": "pondok", "tj": "tanjung", "tg": "tanjung",
    "tjg": "tanjung", "ps": "pasar", "sel": "selatan", "slt": "selatan", "utr": "utara",
    "tmr": "timur", "brt": "barat", "2": "dua", "3": "tiga", "ii": "dua", "iii": "tiga",
}
# Names citizens use instead of the official one: alias -> official name.
NAME_ALIASES: dict[str, str] = {
    "priok": "Tanjung Priok",
    "halim": "Halim Perdana Kusuma",
    "benhil": "Bendungan Hilir",
    "pasming": "Pasar Minggu",
}
# Names (or name prefixes) that are ordinary words: "baru" (new), "tengah"
# (middle), "karet" (rubber)... They count only after a kel/kec marker or when
# another mention (kecamatan, postal code) confirms them.
GENERIC_NAMES: frozenset[str] = frozenset(
    """baru tengah gunung pulo jati dukuh setu gedong karet kramat kenari tangki kamal
    kapuk gelora guntur selong galur bungur kartini joglo rambutan keagungan kebon pondok
    pasar rawa tanjung kota utan kali duri tugu cempaka jembatan kampung sungai harapan
    bambu kayu karang tanah taman duren kelapa mangga sumur batu pal bukit gandaria lubang
    bali bendungan bidara lebak pela setia sukabumi tegal ujung wijaya""".split()
)
KELURAHAN_MARKERS = frozenset({"kelurahan", "desa"})
KECAMATAN_MARKERS = frozenset({"kecamatan"})
AREA_MARKERS = KELURAHAN_MARKERS | KECAMATAN_MARKERS
# A name right after one of these, or followed by "raya", is probably a street.
STREET_MARKERS = frozenset({"jalan", "gang", "komplek", "perumahan", "tol", "flyover", "underpass"})


@dataclass(frozen=True)
class Area:
    """One administrative area of DKI Jakarta."""

    code: str  # Kemendagri code: "31.71" (kota), "31.71.01" (kecamatan), "31.71.01.1001" (kelurahan)
    name: str  # official name, e.g. "Gambir"
    level: str  # "kota" | "kecamatan" | "kelurahan"
    parent_code: str | None
    postal_code: str | None = None  # kelurahan only


@dataclass(frozen=True)
class AreaMatch:
    """Where a complaint was placed and on what evidence."""

    code: str
    level: str
    method: str  # "coordinates" | "name" | "postal_code"


def load_areas_csv(path: str | Path) -> list[Area]:
    """Read ``jakarta_areas.csv`` (one row per kelurahan) into kota, kecamatan and kelurahan records."""
    kota: dict[str, Area] = {}
    kecamatan: dict[str, Area] = {}
    kelurahan: dict[str, Area] = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            kota.setdefault(row["regency_code"], Area(row["regency_code"], row["regency"], KOTA, None))
            kecamatan.setdefault(
                row["district_code"],
                Area(row["district_code"], row["district"], KECAMATAN, row["regency_code"]),
            )
            kelurahan.setdefault(
                row["village_code"],
                Area(row["village_code"], row["village"], KELURAHAN, row["district_code"],
                     (row.get("postal_code") or "").strip() or None),
            )
    return [*kota.values(), *kecamatan.values(), *kelurahan.values()]
