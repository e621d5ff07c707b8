"""Header access under limits, and the address and Message-ID helpers built on it.

The mail is parsed with ``policy.compat32`` so headers stay raw strings: the
``policy.default`` header classes parse every encoded word eagerly and take
gigabytes on a few hundred KB of folded ``=?utf-8?b?...?=`` words (issue 10).
We decode the few headers we read ourselves, with ``email.header`` on a value
already cut to a bounded number of encoded words and characters.

Addresses are taken only from the address part of a header, on the RAW value,
never from a decoded display name (an encoded word can hide ``victim@...``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from adapters.email.charset import decode_bytes

ENCODED_WORD = re.compile(r"=\?[^?\s]{1,40}\?[bBqQ]\?[^?\s]*\?=")
MAX_ADDRESS_HEADER_CHARS = 4096  # a From/Reply-To longer than this is read only up to here


@dataclass(frozen=True)
class HeaderLimits:
    """How much of one header we decode."""

    max_encoded_words: int = 50
    max_chars: int = 4096


class Headers:
    """First occurrence of each header, raw, decoded on demand within ``HeaderLimits``; never raises."""

    def __init__(self, msg: Message, limits: HeaderLimits = HeaderLimits()) -> None:
        self._raw: dict[str, list[str]] = {}
        self.limits = limits
        try:
            for key, value in msg.raw_items():
                self._raw.setdefault(str(key).lower(), []).append(value if isinstance(value, str) else str(value))
        except Exception:  # noqa: BLE001 - a broken header section reads as empty
            pass

    def raw_all(self, name: str, limit: int = 20) -> list[str]:
        """The first ``limit`` undecoded values of a repeated header (Authentication-Results)."""
        return [clean_str(v[: self.limits.max_chars * 4]) for v in self._raw.get(name.lower(), [])[:limit]]

    def raw(self, name: str) -> str | None:
        """The undecoded, unfolded value (for addresses and Message-IDs)."""
        values = self._raw.get(name.lower())
        return clean_str(values[0][: self.limits.max_chars * 4]) if values else None

    def get(self, name: str) -> str | None:
        values = self._raw.get(name.lower())
        return decode_value(values[0], self.limits) if values else None

    def has(self, name: str) -> bool:
        return name.lower() in self._raw


def decode_value(value: str, limits: HeaderLimits = HeaderLimits()) -> str:
    """RFC 2047 decoding of at most ``max_encoded_words`` words; the result is cut to ``max_chars``."""
    value = value[: limits.max_chars * 4]
    words = 0
    for match in ENCODED_WORD.finditer(value):
        words += 1
        if words == limits.max_encoded_words:
            value = value[: match.end()]
            break
    try:
        text = str(make_header(decode_header(value)))
    except Exception:  # noqa: BLE001 - bogus encoded words: keep the raw text
        text = value
    return clean_str(text)[: limits.max_chars]


def count_encoded_words(value: str) -> int:
    return len(ENCODED_WORD.findall(value))


def clean_str(value: str) -> str:
    """Undo surrogate escapes (raw 8-bit header bytes), unfold, drop control characters."""
    if not value.isascii() and _SURROGATE.search(value):
        try:
            value = decode_bytes(value.encode("utf-8", "surrogateescape"), None)
        except UnicodeError:
            value = value.encode("utf-8", "replace").decode("utf-8", "replace")
    if "\n" in value:
        value = _FOLD.sub(" ", value)
    return _CONTROL.sub(" ", value).strip()


_SURROGATE = re.compile("[\udc80-\udcff]")
_FOLD = re.compile(r"\s*\r?\n\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


_ADDR_SPEC = re.compile(r"[^\s@<>,;:\"()\[\]\\\x00-\x1f\x7f]{1,64}@[^\s@<>,;:\"()\[\]\\\x00-\x1f\x7f]{1,253}")
# A name-addr: an optional phrase (quoted strings kept whole) then <addr-spec>.
_NAME_ADDR = re.compile(r'((?:"(?:[^"\\]|\\.)*"|[^<>",])*)<\s*([^<>]*?)\s*>')


def mailboxes(raw: str | None, limits: HeaderLimits = HeaderLimits()) -> list[tuple[str | None, str]]:
    """(display name, lower-cased address) of each mailbox in a RAW address header.

    When the header has any ``<...>``, only what is inside angle brackets is an
    address: ``victim@x <attacker@y>`` names attacker@y. The display name is
    decoded only after the address was taken, so it can never become one.
    """
    value = clean_str((raw or "")[:MAX_ADDRESS_HEADER_CHARS])
    found: list[tuple[str | None, str]] = []
    if "<" in value:
        for match in _NAME_ADDR.finditer(value):
            spec = match.group(2).strip()
            if _ADDR_SPEC.fullmatch(spec) and "." in spec.rpartition("@")[2]:
                found.append((_display_name(match.group(1), limits), spec.lower()))
        return found
    for name, spec in getaddresses([value]):
        spec = spec.strip()
        if _ADDR_SPEC.fullmatch(spec) and "." in spec.rpartition("@")[2]:
            found.append((_display_name(name, limits), spec.lower()))
    return found


def _display_name(phrase: str, limits: HeaderLimits) -> str | None:
    phrase = phrase.strip().rstrip(",").strip()
    if len(phrase) >= 2 and phrase[0] == phrase[-1] == '"':
        phrase = re.sub(r"\\(.)", r"\1", phrase[1:-1])
    return decode_value(phrase, HeaderLimits(limits.max_encoded_words, 200)) or None


def first_address(raw: str | None) -> str | None:
    found = mailboxes(raw)
    return found[0][1] if found else None


_MSGID = re.compile(r"<\s*([^<>\s]+)\s*>")


def msgids(value: str) -> list[str]:
    """Message-IDs in a header value, without angle brackets, in order."""
    found = _MSGID.findall(value)
    if not found:
        found = [tok.strip(",;") for tok in value.split() if "@" in tok]
    return unique(found)[-50:]


def strip_brackets(value: str) -> str:
    return value.strip().lstrip("<").rstrip(">").strip()


def unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def date_of(headers: Headers) -> str | None:
    try:
        value = headers.raw("date")
        return parsedate_to_datetime(value).isoformat() if value else None
    except Exception:  # noqa: BLE001 - a bogus Date header is simply ignored
        return None
