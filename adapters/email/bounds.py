"""Cheap checks on the raw bytes before any parser spends time or memory on them.

A header bomb (thousands of folded encoded words, issue 10) or a MIME bomb is
refused with a 5xx here, so the sending MTA bounces it to its author: nothing
is silently lost, and nothing hostile reaches a parser without a bound.
"""
from __future__ import annotations

import re

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_CONTAINER = re.compile(rb"(?im)^content-type:\s*(?:multipart|message)/")
_FIELD_SPLIT = re.compile(rb"\r?\n(?![ \t])")
_ENCODED_WORD = re.compile(rb"=\?[^?\s]{1,40}\?[bBqQ]\?[^?\s]*\?=")
_TOKEN = re.compile(rb"[!-9;-~]{1,40}")
# Content-* fields of every MIME part (with folded lines): the stdlib splits their
# parameters in quadratic time, so 20,000 ";a=b" cost a second and a 1 MB field hours.
_MIME_FIELD = re.compile(rb"(?im)^content-[a-z-]{1,40}:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*")
MAX_MIME_FIELD_BYTES = 8 * 1024  # real ones are well under 1 KB, RFC 2231 filenames included
MAX_MIME_PARAMS = 100


def header_end(raw: bytes, limit: int) -> int | None:
    """Offset of the blank line ending the header section, searched within ``limit`` bytes."""
    end = _HEADER_END.search(raw, 0, limit + 4)
    return end.start() if end else None


def prescan(
    raw: bytes, *, max_header_bytes: int, max_field_bytes: int, max_encoded_words: int, max_containers: int
) -> str | None:
    """An SMTP 5xx reply when ``raw`` exceeds a limit, else None. Linear in ``len(raw)``."""
    end = header_end(raw, max_header_bytes)
    if end is None and len(raw) > max_header_bytes:
        return "552 5.3.4 Message header section too large"
    refusal = field_limits(raw[: end if end is not None else len(raw)], max_field_bytes, max_encoded_words)
    if refusal:
        return refusal
    # The stdlib parser recurses per nested container and slows down
    # quadratically; legitimate mail (even forwards of forwards) has a handful.
    if len(_CONTAINER.findall(raw)) > max_containers:
        return "554 5.6.0 Too many nested MIME parts (MIME bomb?)"
    return mime_field_limits(raw)


def mime_field_limits(raw: bytes) -> str | None:
    """Every Content-* field, in any part, short and with few parameters."""
    if len(raw) <= MAX_MIME_FIELD_BYTES and raw.count(b";") <= MAX_MIME_PARAMS:
        return None  # no field can be longer, or hold more parameters, than the whole mail: skip the scan
    for match in _MIME_FIELD.finditer(raw):
        field = match.group(0)
        if len(field) > MAX_MIME_FIELD_BYTES or field.count(b";") > MAX_MIME_PARAMS:
            name = field.split(b":", 1)[0].decode("ascii", "replace")
            return f"554 5.6.0 MIME header {name} too long or with too many parameters (MIME bomb?)"
    return None


def field_limits(head: bytes, max_field_bytes: int, max_encoded_words: int) -> str | None:
    """Each header field (with its folded lines) within size and encoded-word limits."""
    if len(head) <= max_field_bytes and head.count(b"=?") <= max_encoded_words:
        return None  # every field is a part of ``head``: none can be over either limit, no split needed
    for field in _FIELD_SPLIT.split(head):
        too_long = len(field) > max_field_bytes
        # count(b"=?") is a cheap upper bound; the regex runs only when it could matter.
        too_many = field.count(b"=?") > max_encoded_words and len(_ENCODED_WORD.findall(field)) > max_encoded_words
        if too_long or too_many:
            name = _TOKEN.match(field.split(b":", 1)[0].strip())
            label = name.group(0).decode("ascii") if name else "?"
            what = f"over {max_field_bytes} bytes" if too_long else \
                f"more than {max_encoded_words} encoded words"
            return f"554 5.6.0 Header {label} has {what} (header bomb?)"
    return None
