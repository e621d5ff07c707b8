"""SMS length as carriers count it, and GSM-7 friendly text (the Twilio channel's text limits).

SMS (GSM 03.38 / 3GPP TS 23.038): a message is sent in GSM-7 when every
character is in the default alphabet or its basic extension table, else in
UCS-2. GSM-7 holds 160 septets in one SMS, 153 per part of a concatenated
one (the UDH takes the rest); extension characters (``^{}\\[~]|€`` and form
feed) are an escape plus a septet, so they count 2. UCS-2 holds 70 UTF-16
code units, 67 per part; a character outside the BMP (most emoji) is a
surrogate pair and counts 2. Parts are packed greedily and neither an escape
pair nor a surrogate pair is split across parts, which is what careful
senders do; a sender that splits them anyway would need at most the same
number of parts, so our count is never too low.

The character set comes from the ``gsm0338`` codec (an encoded extension
character is two bytes, so the encoded length is the septet count).

"""
from __future__ import annotations

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

GSM7 = "GSM-7"
UCS2 = "UCS-2"

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


_septet_cache: dict[str, int | None] = {}


def _septets(ch: str) -> int | None:
    """Septets one character takes in GSM-7, or None if it has none."""
    try:
        return _septet_cache[ch]
    except KeyError:
        pass
    cost: int | None
    if ch == "\x1b":
        # The codec maps ESC to itself, but it is the escape code, not a character.
        cost = None
    else:
        try:
            cost = len(ch.encode("gsm03.38"))
        except UnicodeEncodeError:
            cost = None
    _septet_cache[ch] = cost
    return cost


def is_gsm7(text: str) -> bool:
    """True if the whole text can be sent in the GSM-7 default alphabet."""
    return all(_septets(ch) is not None for ch in text)


def _parts(costs: list[int], single: int, per_part: int) -> int:
    total = sum(costs)
    if total == 0:
        return 0
    if total <= single:
        return 1
    parts, used = 1, 0
    for cost in costs:
        # An escape pair or a surrogate pair never straddles two parts.
        if used + cost > per_part:
            parts, used = parts + 1, 0
        used += cost
    return parts


def sms_segments(text: str) -> tuple[str, int]:
    """(encoding, number of SMS parts) for ``text``; an empty text takes 0 parts."""
    septets = [_septets(ch) for ch in text]
    known = [s for s in septets if s is not None]
    if len(known) == len(septets):
        return GSM7, _parts(known, GSM7_SINGLE, GSM7_PART)
    units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return UCS2, _parts(units, UCS2_SINGLE, UCS2_PART)


def fits_sms(text: str, max_segments: int) -> bool:
    """True if ``text`` goes out in at most ``max_segments`` SMS parts."""
    return sms_segments(text)[1] <= max_segments


# Typographic characters with a GSM-7 look-alike. Phones and word processors
# insert these on their own; one of them would turn the whole message into
# UCS-2 and more than double its cost.
_GSM_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2015": "-", "\u2212": "-",
    "\u2026": "...",
    "\u2022": "-", "\u2023": "-", "\u2043": "-", "\u25e6": "-", "\u00b7": "-",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u205f": " ", "\u3000": " ",
    "\t": " ",
    "\u200b": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
    "\u00d7": "x", "\u2044": "/", "\u2215": "/",
    "\u2122": "TM", "\u00a9": "(c)", "\u00ae": "(R)",
    "\u00b2": "2", "\u00b3": "3", "\u00b9": "1",
}
_GSM_REPLACEMENTS.update({chr(c): " " for c in range(0x2000, 0x200B)})  # en/em/thin spaces
_GSM_TABLE = str.maketrans(_GSM_REPLACEMENTS)


def gsm_friendly(text: str) -> str:
    """``text`` with typographic look-alikes replaced so it can go out as GSM-7.

    If the text stays non-GSM anyway (Chinese, emoji...), it is returned
    unchanged: replacing would then gain nothing and "..." is longer than "…".
    """
    replaced = text.translate(_GSM_TABLE)
    return replaced if is_gsm7(replaced) else text


