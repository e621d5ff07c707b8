"""Inbound text made valid Unicode at the edge, before intake.

Providers can hand us strings no database can store: JSON allows escaped
lone UTF-16 surrogates (``"Sampah \\ud83d"``) and NUL characters, which
PostgreSQL and SQLite both refuse. One such message must not fail the
group commit it shares with other citizens' reports, so every string of an
inbound message (text, names, ids, provider context, recursively) is made
valid here: surrogates become U+FFFD, NULs are dropped.

The raw provider body is kept for inspection as base64 in failure records,
so the record can always be written, whatever bytes the body held.
"""
from __future__ import annotations

import base64
import dataclasses
import re
from typing import Any

from bot.models import InboundMessage

_SURROGATE = re.compile("[\ud800-\udfff]")
RAW_B64_PREFIX = "base64:"


def valid_text(value: str) -> str:
    """``value`` as storable Unicode: lone surrogates -> U+FFFD, NUL dropped."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    return _SURROGATE.sub("\ufffd", value)


def valid_value(value: Any) -> Any:
    """Every string inside ``value`` (dict keys too, lists, tuples) made valid."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {valid_value(k): valid_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [valid_value(v) for v in value]
    if type(value) is tuple:  # plain tuples only: a namedtuple's constructor takes fields, not an iterable
        return tuple(valid_value(v) for v in value)
    return value


def scrub_inbound(msg: InboundMessage) -> None:
    """Make every string field of ``msg`` valid, in place (attachments are bytes)."""
    for f in dataclasses.fields(msg):
        if f.name == "attachments":
            continue
        value = getattr(msg, f.name)
        if isinstance(value, (str, dict, list, tuple)):
            setattr(msg, f.name, valid_value(value))


def raw_bytes(raw: str | bytes | None) -> bytes:
    """The raw body as bytes, whatever code points the string held."""
    if raw is None:
        return b""
    return raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")


def storable_raw(raw: str | bytes | None) -> str:
    """The raw body as ASCII (base64, marked) for a failure record: always writable."""
    return RAW_B64_PREFIX + base64.b64encode(raw_bytes(raw)).decode("ascii")


def stored_raw_bytes(stored: str | None) -> bytes:
    """The exact bytes ``storable_raw`` kept (a plain text column as UTF-8)."""
    if not stored:
        return b""
    if stored.startswith(RAW_B64_PREFIX):
        try:
            return base64.b64decode(stored[len(RAW_B64_PREFIX):], validate=True)
        except ValueError:
            pass
    return stored.encode("utf-8", "surrogatepass")


def readable_raw(stored: str | None) -> str:
    """A stored raw column back as valid text (base64 records decoded)."""
    if not stored:
        return ""
    data = stored_raw_bytes(stored)
    try:
        text = data.decode("utf-8", "surrogatepass")  # what raw_bytes wrote
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")  # a provider's own bytes
    return valid_text(text)
