"""Reading a tracking ID out of a citizen's free text: typed with spaces, dashes, a missing
prefix or quoted in a reply, and accepted only when its check symbol holds."""
from __future__ import annotations

import re

from bot.tracking import BODY_LENGTH, is_valid_code, normalize

CODE_LENGTH = BODY_LENGTH + 1
TOKEN = re.compile(r"\S+")
EDGE_PUNCT = " \t\r\n*_~`\"'()[]{}<>.,;:!?#=&"
ID_CHARS = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_.]*")
SEPARATORS = re.compile(r"[\s\-_.:#/]")


def _compact(token: str) -> str:
    return SEPARATORS.sub("", token).upper()


def read_id(text: str, prefix: str) -> tuple[str | None, str | None, str]:
    """Read a tracking ID at the start of ``text``: (valid ID, typed invalid ID, text after)."""
    tokens = [m for m in TOKEN.finditer(text)][:3]
    if not tokens:
        return None, None, text
    pieces = [t.group().strip(EDGE_PUNCT) for t in tokens]
    for n in (3, 2, 1):
        if len(pieces) < n or not all(ID_CHARS.fullmatch(p) for p in pieces[:n]):
            continue
        canonical = _canonical(_compact("".join(pieces[:n])), prefix)
        if canonical:
            return canonical, None, text[tokens[n - 1].end():]
    # Not valid: does it look like an attempt at one?
    first = pieces[0]
    if not ID_CHARS.fullmatch(first):
        return None, None, text
    p = prefix.upper()
    compact = _compact(first)
    has_prefix = compact.startswith(p)
    target = len(p) + CODE_LENGTH if has_prefix else CODE_LENGTH
    n = 1
    while n < len(pieces) and len(compact) < target:
        piece = _compact(pieces[n])
        if not ID_CHARS.fullmatch(pieces[n]) or len(piece) < 3 or len(compact) + len(piece) > target + 1:
            break
        compact += piece
        n += 1
    typed = text[tokens[0].start():tokens[n - 1].end()].strip(EDGE_PUNCT)
    body = compact[len(p):] if has_prefix else compact
    marked = any(ch.isdigit() for ch in body) or re.search(r"[A-Za-z0-9][-_.][A-Za-z0-9]", typed)
    alone = n == len(TOKEN.findall(text))
    if has_prefix:
        # "JKT-ABCD-EFGX" or "jkt 7k3m qxp" are attempts; "jkt utara" (Jakarta Utara) is not.
        looks_like = marked or len(body) == CODE_LENGTH or len(_compact(first)) > len(p)
    else:
        looks_like = (
            len(_compact(first)) >= 3 and CODE_LENGTH - 2 <= len(body) <= CODE_LENGTH + 1
            and bool(marked or (alone and len(body) == CODE_LENGTH))
        )
    if looks_like:
        return None, typed, text[tokens[n - 1].end():]
    return None, None, text


def _canonical(compact: str, prefix: str) -> str | None:
    """The canonical ID for a compacted token, tolerating a mistyped prefix."""
    found = normalize(compact, prefix)
    if found:
        return found
    # Only a prefix of the right length: with a free length, a dropped symbol
    # could re-align the code ("JKT7222-22N" read as "JK" + "T722222N").
    m = re.fullmatch(r"[A-Z]{%d}([A-Z0-9]{%d})" % (len(prefix), CODE_LENGTH), compact)
    if m and is_valid_code(m.group(1)):
        return normalize(m.group(1), prefix)
    return None


_CODE_AT = re.compile(r"([A-Za-z0-9]{4})[-\s.]?([A-Za-z0-9]{4})(?![A-Za-z0-9])")
_PREFIX_BEFORE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2,5})[-\s.]?$")


def quoted_id(text: str, prefix: str) -> str | None:
    """The first valid ID quoted anywhere in ``text``.

    Every position is tried, so a word in front ("pengaduan 7k3m qxp2") cannot
    swallow part of the ID. The quote must carry our prefix or a digit, so an
    ordinary word that happens to pass the check symbol ("... depan
    sekarang") is not taken for an ID.
    """
    for i in range(len(text)):
        m = _CODE_AT.match(text, i)
        if m is None:
            continue
        before = _PREFIX_BEFORE.search(text, max(0, i - 6), i)
        # The code must start a word, or follow a prefix glued or dashed to it.
        if i > 0 and text[i - 1].isalnum() and before is None:
            continue
        code = (m.group(1) + m.group(2)).upper()
        if not is_valid_code(code):
            continue
        quoted_prefix = before.group(1).upper() if before else ""
        if quoted_prefix != prefix.upper() and not any(ch.isdigit() for ch in code):
            continue
        return normalize(code, prefix)
    return None


def prefixed_token(text: str, prefix: str) -> str | None:
    """A prefixed code with a digit somewhere in ``text``, e.g. a mistyped ID.

    The digit is required: "Jkt Barat" is a place, not an ID.
    """
    pattern = r"(?<![A-Za-z0-9])%s[-\s.]?[A-Za-z0-9]{3,5}(?:[-\s.]?[A-Za-z0-9]{3,5})?(?![A-Za-z0-9])"
    for m in re.finditer(pattern % re.escape(prefix), text, re.IGNORECASE):
        if any(ch.isdigit() for ch in m.group(0)):
            return m.group(0)
    return None
