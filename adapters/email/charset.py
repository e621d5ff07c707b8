"""Decode mail bytes whatever charset they claim, never raising."""
from __future__ import annotations

_LATIN1_FAMILY = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "windows-1252", "cp1252", "x-cp1252"}
_ASCII_FAMILY = {"us-ascii", "ascii", "ansi_x3.4-1968", "646", "unknown-8bit", "x-unknown", "unknown"}


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode mail text: declared charset if real, else UTF-8, else Windows-1252; never raises."""
    name = (charset or "").strip().strip('"').lower()
    if name in _LATIN1_FAMILY:
        # Like browsers (WHATWG), read Latin-1 labels as Windows-1252: Outlook
        # labels smart quotes and the euro sign "iso-8859-1".
        return data.decode("cp1252", "replace")
    if name and name not in _ASCII_FAMILY:
        try:
            return data.decode(name, "replace")
        except (LookupError, ValueError, TypeError):
            pass  # bogus or non-text label (x-bogus, rot13, idna): guess below
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")
