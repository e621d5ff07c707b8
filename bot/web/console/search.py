"""The inbox's search box: a tracking ID (with typo correction through its check character) or words.

The check symbol rejects every single wrong symbol and every swap of neighbours
(``adapters/contract/tracking.py``); it also points back to the IDs that were
probably meant: for each position exactly one symbol makes the weighted sum 0
mod 31, and each swap of neighbours that passes is a candidate. A symbol
outside the alphabet (0, 1, I, L, O) is a known wrong position: only that one
is solved. The inbox then shows those candidates that exist (a handful of IN
probes), so a misread ID still finds its ticket.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.tracking import ALPHABET, BODY_LENGTH, format_id, is_valid_code, normalize

MAX_WORDS = 5
_SEPARATORS = re.compile(r"[\s\-_.]")


@dataclass
class Search:
    tracking_ids: list[str] = field(default_factory=list)
    corrected: bool = False  # the IDs are guesses for a mistyped one
    words: list[str] = field(default_factory=list)


def _body(text: str, prefix: str) -> str | None:
    compact = _SEPARATORS.sub("", text.strip().upper())
    if compact.startswith(prefix.upper()) and len(compact) == len(prefix) + BODY_LENGTH + 1:
        compact = compact[len(prefix):]
    if len(compact) != BODY_LENGTH + 1 or not compact.isalnum() or not any(c.isdigit() for c in compact):
        return None
    return compact


def corrections(body: str) -> list[str]:
    """Valid codes one substitution or one swap of neighbours away from ``body`` (8 symbols)."""
    unknown = [i for i, ch in enumerate(body) if ch not in ALPHABET]
    positions = unknown if unknown else range(len(body))
    if len(unknown) > 1:
        return []
    found: list[str] = []
    for i in positions:
        for ch in ALPHABET:
            if ch != body[i]:
                code = body[:i] + ch + body[i + 1:]
                if is_valid_code(code) and code not in found:
                    found.append(code)
    if not unknown:
        for i in range(len(body) - 1):
            code = body[:i] + body[i + 1] + body[i] + body[i + 2:]
            if code != body and is_valid_code(code) and code not in found:
                found.append(code)
    return found


def parse_search(text: str, prefix: str) -> Search:
    text = (text or "").strip()[:200]
    if not text:
        return Search()
    exact = normalize(text, prefix)
    if exact:
        return Search([exact])
    body = _body(text, prefix)
    if body is not None:
        return Search([format_id(prefix.upper(), c) for c in corrections(body)], corrected=True)
    return Search(words=[w for w in text.split() if len(w) >= 2][:MAX_WORDS])
