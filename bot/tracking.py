"""Tracking IDs: short, case-insensitive, unambiguous, with a check character.

Format: ``JKT-7K3M-QXP4`` -- a configurable prefix, seven random symbols and a
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
# Loose pattern for spotting an ID inside free text: optional prefix, then 8
# symbols, possibly split by a dash or space after the fourth.
_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9])(?:([A-Za-z]{2,5})[-\s]?)?([A-Za-z0-9]{4})[-\s]?([A-Za-z0-9]{4})(?![A-Za-z0-9])"
)


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
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
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


def find_tracking_id(text: str, prefix: str = "JKT") -> str | None:
    """The first valid tracking ID quoted anywhere in ``text``, or None."""
    for match in _CANDIDATE.finditer(text or ""):
        code = (match.group(2) + match.group(3)).upper()
        if is_valid_code(code):
            return format_id(prefix.upper(), code)
    return None
