"""Shortening and splitting a text to fit one channel message: the core's outbound rendering.

Channel-neutral: how long a text may be is the channel's ``fits`` predicate
(GSM-7 segments, X's weighted length, UTF-16 units), supplied by its adapter.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Callable

_ELLIPSIS, _ASCII_ELLIPSIS = "\u2026", "..."


def _plain(text: str) -> bool:
    """Whether every character is in the GSM-7 alphabet: then "..." is used, since one "…" would
    force a whole SMS into UCS-2. (Counting segments is the Twilio package's; this only picks a character.)"""
    if "\x1b" in text:
        return False
    try:
        text.encode("gsm03.38")
    except UnicodeEncodeError:
        return False
    return True
# Characters that belong to the preceding one: a hard cut never lands before them.
_JOINERS = re.compile(r"[\u200d\ufe0e\ufe0f\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]")


def _longest(candidates: list[int], ok: Callable[[int], bool]) -> int | None:
    """The largest candidate with ok(candidate), by binary search.

    ``ok`` is assumed monotone (a longer prefix never fits better); if it
    is not, the answer still satisfies ``ok`` but may not be the largest.
    """
    lo, hi, best = 0, len(candidates) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if ok(candidates[mid]):
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    if best is not None:
        return candidates[best]
    return None


def _is_flag_half(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def _safe_cut(text: str, end: int) -> int:
    """Move a hard cut back so it does not split a character sequence."""
    while 0 < end < len(text) and (
        unicodedata.combining(text[end]) or _JOINERS.match(text[end]) or text[end - 1] == "\u200d"
    ):
        end -= 1
    if 0 < end < len(text) and _is_flag_half(text[end]):
        # Regional indicators pair up from the left: an odd run before the cut
        # means the cut falls inside a flag.
        run = 0
        while run < end and _is_flag_half(text[end - 1 - run]):
            run += 1
        end -= run % 2
    return end


def shorten_to_fit(text: str, fits: Callable[[str], bool], suffix: str | None) -> str:
    """``text`` cut at a word boundary + "… " + ``suffix``, as long as ``fits`` allows.

    If the whole text fits with the suffix, nothing is cut. The ellipsis is
    "..." when text and suffix are GSM-7, so an SMS does not turn into UCS-2
    for it. If no word fits, the first word is cut hard; if nothing fits,
    the suffix alone is returned. Raises ValueError if even the suffix does
    not fit.
    """
    text, suffix = text.strip(), suffix or ""  # a message without a ticket has no link
    glue = " " if suffix else ""
    whole = f"{text}{glue}{suffix}" if text else suffix
    if fits(whole):
        return whole
    if not fits(suffix):
        raise ValueError("the suffix alone does not fit")
    ellipsis = _ASCII_ELLIPSIS if _plain(text + suffix) else _ELLIPSIS

    def build(end: int) -> str:
        return f"{text[:end].rstrip(' ,;:-')}{ellipsis}{glue}{suffix}"

    def ok(end: int) -> bool:
        return bool(text[:end].strip(" ,;:-")) and fits(build(end))

    word_ends = [m.end() for m in re.finditer(r"\S+", text)]
    end = _longest(word_ends, ok)
    if end is None:
        end = _longest(sorted({_safe_cut(text, i) for i in range(1, len(text))} - {0}), ok)
    return suffix if end is None else build(end)


# Group 1 of each is the whitespace where a part may end.
_PARAGRAPH = re.compile(r"(\n[ \t]*\n\s*)")
_SENTENCE = re.compile(r"[.!?\u2026][\"')\]]*(\s+)|(\n\s*)")
_WORD = re.compile(r"(\s+)")


def _best_cut(text: str, limit: int) -> int:
    """Where to end the next part, given that text[:limit] is the most that fits.

    A paragraph or sentence end is used if it keeps at least half the room,
    else the last word boundary, else a hard cut at ``limit``.
    """
    for pattern, min_share in ((_PARAGRAPH, 0.5), (_SENTENCE, 0.5), (_WORD, 0.0)):
        ends = [m.start(m.lastindex or 0) for m in pattern.finditer(text, 0, limit + 1)]
        ends = [e for e in ends if e > 0]
        if ends and ends[-1] >= limit * min_share:
            return ends[-1]
    return _safe_cut(text, limit) or limit


def split_to_fit(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Split ``text`` into parts that each satisfy ``fits``.

    Cuts at paragraph, sentence or word boundaries when it can; a word longer
    than a whole part is cut hard. Whitespace at the cuts is dropped, nothing
    else. Raises ValueError if not even one character fits.
    """
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if fits(rest):
            parts.append(rest)
            break
        positions = [_safe_cut(rest, i) for i in range(1, len(rest))]
        limit = _longest(sorted(set(p for p in positions if p > 0)), lambda i: fits(rest[:i].rstrip()))
        if limit is None:
            raise ValueError("not even one character fits")
        cut = _best_cut(rest, limit)
        part = rest[:cut].rstrip()
        if not part or not fits(part):  # non-monotone ``fits``: take the safe hard cut
            part = rest[:limit].rstrip()
            cut = limit
        parts.append(part)
        rest = rest[cut:].lstrip()
    return parts
