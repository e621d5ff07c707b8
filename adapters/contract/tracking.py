"""Tracking IDs: short, case-insensitive, unambiguous, with a check character.

Format: ``JKT-7K3M-QXP2`` -- a configurable prefix, seven random symbols and a
check symbol. The alphabet has 31 symbols: the digits 2-9 and the letters
A-Z without I, L and O, so 0/O and 1/I/L can never be confused. 31 is prime,
which is what makes the check symbol work: with position weights 1..8 (all
distinct and non-zero mod 31) the weighted sum of all eight symbols must be
0 mod 31. A single wrong symbol changes the sum by w*(a-b), and swapping two
neighbours changes it by (a-b); neither is 0 mod 31, so both are rejected.
Seven symbols from ``secrets`` give 31**7 (2.7e10) IDs, so one ticket's ID
says nothing about another's.
"""
from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MODULUS = len(ALPHABET)  # 31, prime
BODY_LENGTH = 7
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


def _check_symbol(body: str) -> str:
    total = sum((i + 1) * _VALUE[ch] for i, ch in enumerate(body))
    weight = len(body) + 1
    # Solve total + weight * c == 0 (mod 31) for c.
    c = (-total * pow(weight, -1, MODULUS)) % MODULUS
    return ALPHABET[c]


def is_valid_code(code: str) -> bool:
    """True if ``code`` (8 symbols, no prefix) passes the check."""
    if len(code) != BODY_LENGTH + 1 or any(ch not in _VALUE for ch in code):
        return False
    total = sum((i + 1) * _VALUE[ch] for i, ch in enumerate(code))
    return total % MODULUS == 0


def format_id(prefix: str, code: str) -> str:
    return f"{prefix}-{code[:4]}-{code[4:]}"


def new_tracking_id(prefix: str = "JKT") -> str:
    # One draw from the CSPRNG for all seven symbols (uniform over 31**7).
    n = secrets.randbelow(MODULUS ** BODY_LENGTH)
    symbols = []
    for _ in range(BODY_LENGTH):
        n, r = divmod(n, MODULUS)
        symbols.append(ALPHABET[r])
    body = "".join(symbols)
    return format_id(prefix, body + _check_symbol(body))


def normalize(text: str, prefix: str = "JKT") -> str | None:
    """Canonical ``PREFIX-XXXX-XXXX`` for a typed ID, or None if it is not valid.

    Accepts any case, with or without the prefix, dashes or spaces.
    """
    compact = re.sub(r"[\s\-_.]", "", text.strip().upper())
    p = prefix.upper()
    if compact.startswith(p) and len(compact) == len(p) + BODY_LENGTH + 1:
        compact = compact[len(p):]
    if not is_valid_code(compact):
        return None
    return format_id(p, compact)


def find_tracking_ids(text: str, prefix: str = "JKT") -> list[str]:
    """Every valid tracking ID quoted in ``text``, most certain first.

    Accepts ``JKT-7K3M-QXP2``, ``jkt 7k3m qxp4``, ``7K3M-QXP2``, ``7k3m qxp4``,
    ``7k3mqxp4``. Candidates with the prefix come first, then the dashed form,
    then the rest: a word before an ID ("saya 724M-QXP2") can make a second,
    accidental candidate, so callers try them in order (intake takes the
    first that exists). An ID without the prefix must be written split or
    contain a digit: about one ordinary 8-letter word in 31 passes the check.
    """
    text = text or ""
    tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    p = prefix.upper()
    # Only windows of 8 symbols (or prefix + 8) can hold an ID: their lengths are summed
    # before anything is joined or checked, so ordinary words cost a few additions.
    full, with_prefix = BODY_LENGTH + 1, len(p) + BODY_LENGTH + 1
    lengths = [end - start for _, start, end in tokens]
    count = len(tokens)
    ranked: list[tuple[int, int, str]] = []
    for i in range(count):
        size = 0
        for take in (1, 2, 3):
            if i + take > count:
                break
            size += lengths[i + take - 1]
            if size != full and size != with_prefix:
                if size > full and size > with_prefix:
                    break
                continue
            window = tokens[i:i + take]
            joined = "".join(t[0] for t in window).upper()
            has_prefix = joined.startswith(p) and len(joined) == len(p) + BODY_LENGTH + 1
            code = joined[len(p):] if has_prefix else joined
            if len(code) != BODY_LENGTH + 1 or not is_valid_code(code):
                continue
            body = window[1:] if has_prefix and len(window) > 1 and window[0][0].upper() == p else window
            split = len(body) == 2 and len(body[0][0]) == len(body[1][0]) == 4
            dashed = split and text[body[0][2]:body[1][1]].strip() == "-"
            if not (has_prefix or split or any(ch.isdigit() for ch in code)):
                continue
            rank = 0 if has_prefix else 1 if dashed else 2
            ranked.append((rank, window[0][1], format_id(p, code)))
    seen: list[str] = []
    for _, _, tid in sorted(ranked):
        if tid not in seen:
            seen.append(tid)
    return seen


def find_tracking_id(text: str, prefix: str = "JKT") -> str | None:
    """The most certain tracking ID quoted in ``text``, or None."""
    found = find_tracking_ids(text, prefix)
    return found[0] if found else None


_TOKEN = re.compile(r"[A-Za-z0-9]+")
