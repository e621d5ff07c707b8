"""Keyword-based complaint categorisation.

Each category has a list of Indonesian keywords (single words or phrases). A
text scores, per category, the sum of the keywords it contains, each counted
once; phrases weigh more than single words because they are more specific
("lampu jalan mati" says more than "lampu"). Tokens of five letters or more
also match a keyword word one edit away, at a discount, so "smpah" and
"jalan berlobang" still count. The best-scoring category wins; ties go to the
higher ``priority``, then to the earlier rule. No match -> the fallback code,
which the caller treats as the triage bucket.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.textnorm import FuzzyVocabulary, tokenize

SINGLE_WEIGHT = 1.0
PHRASE_BASE = 1.0
PHRASE_PER_TOKEN = 0.75  # a 2-word phrase weighs 2.5, a 3-word phrase 3.25
FUZZY_FACTOR = 0.8  # a keyword matched through a typo counts a bit less
_CACHE_LIMIT = 50_000


@dataclass(frozen=True)
class CategoryRule:
    """A category code and the keywords that point to it."""

    code: str
    keywords: tuple[str, ...]  # single words or multi-word phrases, incl. slang/misspellings
    priority: int = 0  # tie-breaker: higher wins


def rules_from_catalogue(categories: Iterable[Mapping]) -> list[CategoryRule]:
    """Build rules from the ``categories`` list of the catalogue config; keyword-less ones are skipped."""
    rules = []
    for cat in categories:
        keywords = tuple(str(k) for k in (cat.get("keywords") or ()))
        if keywords:
            rules.append(CategoryRule(str(cat["code"]), keywords, int(cat.get("priority") or 0)))
    return rules


class Categorizer:
    """Scores a complaint text against category rules; all indexes are built once here."""

    def __init__(
        self, rules: Sequence[CategoryRule], fallback: str = "lainnya", min_score: float = 0.75
    ) -> None:
        self.fallback = fallback
        self.min_score = min_score
        self._codes = [r.code for r in rules]
        self._priority = [r.priority for r in rules]
        # token -> [(rule index, keyword id)]
        self._singles: dict[str, list[tuple[int, int]]] = {}
        # first token -> [(phrase tokens, rule index, keyword id, weight)]
        self._phrases: dict[str, list[tuple[tuple[str, ...], int, int, float]]] = {}
        vocabulary: set[str] = set()
        kw_id = 0
        for rule_idx, rule in enumerate(rules):
            seen: set[tuple[str, ...]] = set()
            for keyword in rule.keywords:
                tokens = tuple(tokenize(keyword))
                if not tokens or tokens in seen:
                    continue
                seen.add(tokens)
                vocabulary.update(tokens)
                if len(tokens) == 1:
                    self._singles.setdefault(tokens[0], []).append((rule_idx, kw_id))
                else:
                    weight = PHRASE_BASE + PHRASE_PER_TOKEN * len(tokens)
                    self._phrases.setdefault(tokens[0], []).append((tokens, rule_idx, kw_id, weight))
                kw_id += 1
        self._vocabulary = frozenset(vocabulary)
        self._fuzzy = FuzzyVocabulary(vocabulary)
        # token -> (vocabulary word, matched through a typo) or None; texts
        # repeat the same words, so typo look-ups are cached.
        self._canon_cache: dict[str, tuple[str, bool] | None] = {}

    def _canonical(self, token: str) -> tuple[str, bool] | None:
        if token in self._vocabulary:
            return token, False
        cache = self._canon_cache
        try:
            return cache[token]
        except KeyError:
            pass
        # Passive "di-" prefix: "dipangkas" -> "pangkas", "diderek" -> "derek".
        stem = token[2:] if token.startswith("di") and len(token) >= 6 else None
        if stem is not None and stem in self._vocabulary:
            result: tuple[str, bool] | None = (stem, False)
        else:
            word = self._fuzzy.lookup(token)
            result = (word, True) if word is not None else None
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[token] = result
        return result

    def _keyword_hits(self, text: str) -> dict[int, dict[int, float]]:
        """rule index -> {keyword id: weight} for every keyword found in ``text``."""
        canon = [self._canonical(t) for t in tokenize(text)]
        words = [c[0] if c else None for c in canon]
        hits: dict[int, dict[int, float]] = {}
        singles, phrases = self._singles, self._phrases
        for i, entry in enumerate(canon):
            if entry is None:
                continue
            word, fuzzy = entry
            for rule_idx, kid in singles.get(word, ()):
                weight = SINGLE_WEIGHT * (FUZZY_FACTOR if fuzzy else 1.0)
                found = hits.setdefault(rule_idx, {})
                if found.get(kid, 0.0) < weight:
                    found[kid] = weight
            for tokens, rule_idx, kid, weight in phrases.get(word, ()):
                n = len(tokens)
                if tuple(words[i : i + n]) != tokens:
                    continue
                if any(c[1] for c in canon[i : i + n] if c):  # all set: the words matched
                    weight *= FUZZY_FACTOR
                found = hits.setdefault(rule_idx, {})
                if found.get(kid, 0.0) < weight:
                    found[kid] = weight
        return hits

    def scores(self, text: str) -> list[tuple[str, float]]:
        """Categories with a non-zero score, best first (ties: priority, then rule order)."""
        hits = self._keyword_hits(text)
        ranked = sorted(
            ((sum(kws.values()), rule_idx) for rule_idx, kws in hits.items()),
            key=lambda item: (-item[0], -self._priority[item[1]], item[1]),
        )
        return [(self._codes[rule_idx], round(score, 3)) for score, rule_idx in ranked]

    def categorize(self, text: str) -> str:
        """The best category code, or the fallback when nothing scores at least ``min_score``."""
        ranked = self.scores(text)
        if ranked and ranked[0][1] >= self.min_score:
            return ranked[0][0]
        return self.fallback
