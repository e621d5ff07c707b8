"""Area routing: find the kelurahan (or at least the kecamatan) a complaint is about.

Evidence, strongest first:

1. coordinates inside a kelurahan boundary (imported with ``aduan areas import`` or the
   ``routing.boundaries_geojson`` file; see bot/boundaries.py);
2. kelurahan/kecamatan names in the text, as citizens write them
   ("Kel. Pulogadung", "kelurahan pulo gadung", "di kec. tebet");
3. a Jakarta postal code (10xxx-14xxx);
4. a place name that is only seen as part of a street name ("Jl. Kartini");
5. for a report with coordinates: the nearest kelurahan centre (``nearest_centre``,
   approximate), else the configured city-level area (``needs_placing``, an officer places it):
   a report with coordinates is never left without an area;
6. nothing: ``None``, and the caller sends the report to triage.

Names are matched on *compact keys*: the name's tokens after spelling-variant
normalisation, joined without spaces, so "Rawa Mangun" and "Rawamangun",
"Kebun Jeruk" and "Kebon Jeruk" meet. A kelurahan name also registers its
token prefixes ("Tanjung Duren" for "Tanjung Duren Utara/Selatan"), which are
resolved like any ambiguous name: narrowed by another mention (kecamatan,
postal code, kota), else the shared kecamatan, else nothing.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.areas import AREA_MARKERS as _MARKERS
# Re-exported: callers and tests import the area records and the name lists from here.
from bot.areas import (  # noqa: F401
    GENERIC_NAMES,
    KECAMATAN,
    KECAMATAN_MARKERS,
    KELURAHAN,
    KELURAHAN_MARKERS,
    KOTA,
    NAME_ALIASES,
    NAME_VARIANTS,
    STREET_MARKERS,
    Area,
    AreaMatch,
    load_areas_csv,
)
from bot.boundaries import BoundaryIndex, valid_point
from bot.textnorm import FuzzyVocabulary, tokenize

log = logging.getLogger(__name__)

_MAX_FUZZY_TOKENS = 3
NEAREST_CENTRE = "nearest_centre"
NEEDS_PLACING = "needs_placing"
APPROXIMATE_METHODS = frozenset({NEAREST_CENTRE, NEEDS_PLACING})  # an officer should check or place these
OFFICER_PLACED = "officer"  # set by hand (staff command ``tempatkan``): never re-routed


@dataclass(frozen=True)
class CoordinateFallback:
    """Where a report with coordinates goes when no polygon and no name places it."""

    unplaced_area: str | None = None  # city-level area code; None: the lowest kota code
    nearest_centre_max_km: float = 5.0


def _name_tokens(text: str) -> list[str]:
    variants = NAME_VARIANTS
    return [variants.get(t, t) for t in tokenize(text)]


def _kota_short_name(name: str) -> str:
    for prefix in ("Kota Administrasi ", "Kabupaten Administrasi ", "Kota ", "Kabupaten "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


@dataclass
class _Entry:
    """Everything a compact name key can refer to."""

    kel: list[str] = field(default_factory=list)  # kelurahan with exactly this name
    kec: list[str] = field(default_factory=list)  # kecamatan with exactly this name
    group: list[str] = field(default_factory=list)  # kelurahan whose name starts with it
    kota: list[str] = field(default_factory=list)
    generic: bool = False


@dataclass
class _Span:
    start: int
    entry: _Entry
    marker: str | None  # "kel" | "kec" | None
    street: bool


@dataclass
class _Context:
    kec: set[str] = field(default_factory=set)
    kota: set[str] = field(default_factory=set)
    postal_kel: set[str] = field(default_factory=set)


class AreaResolver:
    """Resolves a complaint's text (and optional coordinates) to an area code."""

    def __init__(self, areas: Sequence[Area], boundaries: BoundaryIndex | None = None,
                 fallback: CoordinateFallback = CoordinateFallback()) -> None:
        self._areas = {a.code: a for a in areas}
        self._fallback = fallback
        self._unplaced = self._unplaced_area(fallback.unplaced_area)
        self._kota_of: dict[str, str] = {}
        self._postal: dict[str, list[str]] = {}
        self._index: dict[str, _Entry] = {}
        for area in areas:
            if area.level == KELURAHAN:
                kec = self._areas.get(area.parent_code or "")
                self._kota_of[area.code] = kec.parent_code if kec and kec.parent_code else ""
                if area.postal_code and _is_jakarta_postal_code(area.postal_code):
                    self._postal.setdefault(area.postal_code, []).append(area.code)
        self._build_name_index(areas)
        self._prefixes = {key[:i] for key in self._index for i in range(1, len(key) + 1)}
        self._fuzzy = FuzzyVocabulary(self._index, min_length=6, protected=())
        self.boundaries = boundaries

    @classmethod
    def from_files(
        cls, areas_csv: str | Path, boundaries_geojson: str | Path | None = None,
        fallback: CoordinateFallback = CoordinateFallback(),
    ) -> AreaResolver:
        """Build a resolver from the areas CSV and an optional GeoJSON of kelurahan boundaries."""
        from bot.area_import import load_boundary_file

        areas = load_areas_csv(areas_csv)
        index = BoundaryIndex(load_boundary_file(boundaries_geojson, areas)) if boundaries_geojson else None
        return cls(areas, index, fallback)

    def use_boundaries(self, boundaries: BoundaryIndex | None) -> None:
        """Swap the polygons in (at start-up and after an import); one assignment, so a resolve
        running meanwhile sees the old index or the new one, never half of each."""
        self.boundaries = boundaries

    def _unplaced_area(self, code: str | None) -> Area:
        if code is not None:
            area = self._areas.get(code)
            if area is None:
                raise ValueError(f"routing.unplaced_area {code!r} is not in the area list")
            return area
        kota = sorted(a.code for a in self._areas.values() if a.level == KOTA)
        if not kota:
            raise ValueError("the area list has no kota for reports that need placing")
        return self._areas[kota[0]]

    def get(self, code: str) -> Area | None:
        """The area with this code, if known."""
        return self._areas.get(code)

    # -- index building ---------------------------------------------------

    def _entry(self, tokens: Sequence[str]) -> _Entry:
        key = "".join(tokens)
        entry = self._index.get(key)
        if entry is None:
            entry = self._index[key] = _Entry(generic=len(tokens) == 1 and tokens[0] in GENERIC_NAMES)
        return entry

    def _build_name_index(self, areas: Sequence[Area]) -> None:
        by_name: dict[str, list[Area]] = {}
        for area in areas:
            by_name.setdefault(area.name, []).append(area)
            tokens = _name_tokens(_kota_short_name(area.name) if area.level == KOTA else area.name)
            if area.level == KOTA:
                self._entry(tokens).kota.append(area.code)
            elif area.level == KECAMATAN:
                self._entry(tokens).kec.append(area.code)
            else:
                self._entry(tokens).kel.append(area.code)
        for area in areas:  # prefixes after exact names, so exact names keep priority
            if area.level != KELURAHAN:
                continue
            tokens = _name_tokens(area.name)
            for n in range(1, len(tokens)):
                if len("".join(tokens[:n])) >= 4:
                    self._entry(tokens[:n]).group.append(area.code)
        self._entry(_name_tokens("Pulau Seribu")).kota.extend(
            a.code for a in areas if a.level == KOTA and "Seribu" in a.name
        )
        for alias, official in NAME_ALIASES.items():
            target = self._index.get("".join(_name_tokens(official)))
            if target is not None:
                self._index.setdefault("".join(_name_tokens(alias)), target)

    # -- resolution -------------------------------------------------------

    def resolve(
        self, text: str, latitude: float | None = None, longitude: float | None = None
    ) -> AreaMatch | None:
        """The best area for a complaint; None only for a report without usable coordinates
        that nothing in its text locates."""
        has_point = valid_point(latitude, longitude)
        index = self.boundaries
        if has_point and index is not None:
            code = index.locate(latitude, longitude)  # type: ignore[arg-type]  # valid_point checked
            if code is not None:
                return AreaMatch(code, KELURAHAN, "coordinates")
        by_text = self._resolve_text(text)
        if by_text is None and has_point:
            return self._place_approximately(latitude, longitude)  # type: ignore[arg-type]
        return by_text

    def _place_approximately(self, latitude: float, longitude: float) -> AreaMatch:
        index = self.boundaries
        if index is not None:
            code = index.nearest_centre(latitude, longitude, self._fallback.nearest_centre_max_km)
            if code is not None:
                return AreaMatch(code, KELURAHAN, NEAREST_CENTRE)
        return AreaMatch(self._unplaced.code, self._unplaced.level, NEEDS_PLACING)

    def _resolve_text(self, text: str) -> AreaMatch | None:
        tokens = _name_tokens(text or "")
        spans = self._find_spans(tokens)
        ctx = _Context()
        for span in spans:
            if not span.street:
                ctx.kec.update(span.entry.kec)
                ctx.kota.update(span.entry.kota)
        postal = self._postal  # only Jakarta's 5-digit codes are keys
        postal_codes = [t for t in tokens if t in postal]
        for pc in postal_codes:
            ctx.postal_kel.update(self._postal[pc])

        by_name = self._best_by_name([s for s in spans if not s.street], ctx)
        by_postal = self._by_postal(postal_codes)
        if by_name is not None:
            # A postal code may sharpen a kecamatan-level name match to a kelurahan.
            if (
                by_name.level == KECAMATAN
                and by_postal is not None
                and by_postal.level == KELURAHAN
                and self._areas[by_postal.code].parent_code == by_name.code
            ):
                return by_postal
            return by_name
        if by_postal is not None:
            return by_postal
        return self._best_by_name([s for s in spans if s.street], ctx)

    def _find_spans(self, tokens: list[str]) -> list[_Span]:
        """Leftmost-longest name matches, each with its marker and street context."""
        spans: list[_Span] = []
        index, prefixes = self._index, self._prefixes
        i, n_tokens = 0, len(tokens)
        while i < n_tokens:
            prev = tokens[i - 1] if i else ""
            if tokens[i] not in prefixes and prev not in _MARKERS:  # the common case: no name here
                i += 1
                continue
            marker = "kel" if prev in KELURAHAN_MARKERS else "kec" if prev in KECAMATAN_MARKERS else None
            key, end, entry = "", i, None
            for j in range(i, n_tokens):
                key += tokens[j]
                if key not in prefixes:
                    break
                found = index.get(key)
                if found is not None:
                    entry, end = found, j + 1
            if entry is None and marker is not None:
                entry, end = self._fuzzy_after_marker(tokens, i)
            if entry is None:
                i += 1
                continue
            street = prev in STREET_MARKERS or (
                prev == "raya" and i >= 2 and tokens[i - 2] in STREET_MARKERS
            ) or (end < n_tokens and tokens[end] == "raya")
            spans.append(_Span(i, entry, marker, street and marker is None))
            i = end
        return spans

    def _fuzzy_after_marker(self, tokens: list[str], i: int) -> tuple[_Entry | None, int]:
        """Tolerate one typo in a name written right after "kel."/"kec." ("kel pulogadng")."""
        for n in range(min(_MAX_FUZZY_TOKENS, len(tokens) - i), 0, -1):
            key = self._fuzzy.lookup("".join(tokens[i : i + n]))
            if key is not None:
                return self._index[key], i + n
        return None, i

    def _best_by_name(self, spans: list[_Span], ctx: _Context) -> AreaMatch | None:
        best: tuple[tuple, AreaMatch] | None = None
        for span in spans:
            resolved = self._resolve_span(span, ctx)
            if resolved is None:
                continue
            code, level, consistent = resolved
            rank = (level == KELURAHAN, span.marker is not None, consistent, -span.start)
            if best is None or rank > best[0]:
                best = (rank, AreaMatch(code, level, "name"))
        return best[1] if best else None

    def _resolve_span(self, span: _Span, ctx: _Context) -> tuple[str, str, bool] | None:
        """(code, level, consistent with other mentions) for one name mention, or None."""
        entry = span.entry
        if span.marker == "kec" and entry.kec:
            return entry.kec[0], KECAMATAN, True
        # Another mention's kecamatan, not the one this very name is.
        own = set(entry.kec)
        others = _Context(ctx.kec - own, ctx.kota, ctx.postal_kel)
        candidates = entry.kel + [c for c in entry.group if c not in entry.kel]
        if candidates:
            narrowed, confirmed = self._narrow(candidates, others)
            if entry.generic and span.marker is None and not confirmed:
                return None
            exact = [c for c in entry.kel if c in narrowed]
            # "Gambir" names a kecamatan and a kelurahan inside it: the bare name
            # means the kelurahan. The kelurahan "Jatinegara" lies in another
            # kecamatan (Cakung), so the bare name means the better-known kecamatan
            # unless another mention points to the kelurahan.
            if (
                span.marker is None and own and exact and not confirmed
                and all(self._parent(c) not in own for c in exact)
            ):
                return entry.kec[0], KECAMATAN, False
            if len(narrowed) == 1:
                return narrowed[0], KELURAHAN, confirmed
            if len(exact) == 1:
                return exact[0], KELURAHAN, confirmed
            if own and span.marker != "kel":
                return entry.kec[0], KECAMATAN, confirmed
            parents = {self._parent(c) for c in narrowed}
            if len(parents) == 1:
                return parents.pop(), KECAMATAN, confirmed
            return None
        if entry.kec:
            postal_parents = {self._parent(c) for c in ctx.postal_kel}
            return entry.kec[0], KECAMATAN, bool(own & postal_parents)
        return None

    def _narrow(self, candidates: list[str], ctx: _Context) -> tuple[list[str], bool]:
        """Keep the candidates that another mention supports; a filter that keeps none is ignored."""
        confirmed = False
        for keep, confirms in (
            (lambda c: self._parent(c) in ctx.kec, True),
            (lambda c: c in ctx.postal_kel, True),
            # A kota is too coarse to confirm a name that is also an ordinary word.
            (lambda c: self._kota_of.get(c) in ctx.kota, False),
        ):
            kept = [c for c in candidates if keep(c)]
            if kept:
                candidates, confirmed = kept, confirmed or confirms
        return candidates, confirmed

    def _by_postal(self, postal_codes: list[str]) -> AreaMatch | None:
        for pc in postal_codes:
            kel = self._postal[pc]
            if len(kel) == 1:
                return AreaMatch(kel[0], KELURAHAN, "postal_code")
            parents = {self._parent(c) for c in kel}
            if len(parents) == 1:
                return AreaMatch(parents.pop(), KECAMATAN, "postal_code")
        return None

    def _parent(self, code: str) -> str:
        return self._areas[code].parent_code or ""


def _is_jakarta_postal_code(code: str) -> bool:
    """Jakarta's postal codes are 10xxx-14xxx."""
    return len(code) == 5 and code.isdigit() and "10000" <= code < "15000"
