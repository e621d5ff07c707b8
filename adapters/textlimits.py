"""How each channel measures a text, and how the core makes a text fit.

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

X / Twitter: ``twitter_weighted_length`` follows twitter-text's v3 config
(max 280, scale 100, default weight 200, weight 100 for U+0000-U+10FF,
U+2000-U+200D, U+2010-U+201F and U+2032-U+2037, URLs count 23, emoji parsing
on, NFC). It is hand-written: the only conformant Python port
(twitter-text-parser 3.0.0, last released 2023) loads its emoji table with
``pkg_resources``, which setuptools 82 removed, and ships Emoji 12 data.
Emoji sequences (ZWJ families, skin tones, flags, keycaps) are found with the
maintained ``emoji`` package and count 2 each, as in twitter-text (text-style
symbols that Unicode also lists as emoji, such as a bare "©" or "®", count 2
too, like the Python port does; the JS library may count them 1). URLs are
found with a simplified version of twitter-text's pattern (see
``_URL_RE``); a bare domain needs a known TLD (all ASCII ccTLDs plus common
gTLDs), so a protocol-less URL on a rare new gTLD is counted per character.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Callable

import emoji
import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

GSM7 = "GSM-7"
UCS2 = "UCS-2"

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

TWEET_LIMIT = 280
TWITTER_URL_LENGTH = 23

# --- SMS ---------------------------------------------------------------------

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
    if all(s is not None for s in septets):
        return GSM7, _parts(septets, GSM7_SINGLE, GSM7_PART)  # type: ignore[arg-type]
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


# --- X / Twitter ----------------------------------------------------------------

_WEIGHT_1_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))

_CCTLDS = (
    "ac ad ae af ag ai al am an ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo bq "
    "br bs bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz "
    "ec ee eg eh er es et eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw "
    "gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz "
    "la lb lc li lk lr ls lt lu lv ly ma mc md me mf mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx "
    "my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro "
    "rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk "
    "tl tm tn to tp tr tt tv tw tz ua ug uk um us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw"
).split()
_GTLDS = (
    "com net org info biz edu gov mil int name pro mobi asia jobs tel travel museum aero coop app "
    "dev page xyz online site store shop tech blog news live link cloud top club space website icu "
    "art design digital email social media network world today life web wiki tv fun vip one global "
    "agency center city company group studio solutions services support systems"
).split()
_TLD = "|".join(sorted(set(_CCTLDS) | set(_GTLDS), key=len, reverse=True))
_LABEL = r"[a-z0-9\u00c0-\u024f](?:[a-z0-9\u00c0-\u024f_-]*[a-z0-9\u00c0-\u024f])?"
_PATH_CHAR = r"[a-z0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&\u00c0-\u024f]"
_PATH_END = r"[+\-a-z0-9=_#/\u00c0-\u024f]"
_PAREN = rf"\({_PATH_CHAR}*\)"
_PATH = rf"/(?:(?:{_PATH_CHAR}|{_PAREN})*(?:{_PATH_END}|{_PAREN}))?"
_QUERY = r"\?[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@]*[a-z0-9\-_&=#/]"
# A simplified twitter-text URL: optional protocol, dotted domain, optional
# port, path and query; a trailing "." or ")" of the sentence is not part of
# it. Without a protocol the TLD must be known and the URL must not follow
# "@" (an e-mail address) or "-_./"; twitter-text has the same two rules.
_URL_RE = re.compile(
    rf"""
    (?:(?<=[^a-z0-9@$#\uff20\uff03])|^)
    (?:
        https?://(?:{_LABEL}\.)+[a-z\u00c0-\u024f]{{2,}}
      | (?<![-_./]){_LABEL}(?:\.{_LABEL})*\.(?:{_TLD})
    )
    (?![a-z0-9@+\-])
    (?::[0-9]{{1,5}})?
    (?:{_PATH})?
    (?:{_QUERY})?
    """,
    re.IGNORECASE | re.VERBOSE,
)


def _char_weight(ch: str) -> int:
    cp = ord(ch)
    return 1 if any(lo <= cp <= hi for lo, hi in _WEIGHT_1_RANGES) else 2


def twitter_weighted_length(text: str) -> int:
    """Length of ``text`` as X counts it (twitter-text config v3)."""
    normalized = re.sub(r"\r\n|\r", "\n", unicodedata.normalize("NFC", text))
    spans: dict[int, tuple[int, int]] = {}  # start -> (end, weight)
    for m in _URL_RE.finditer(normalized):
        spans[m.start()] = (m.end(), TWITTER_URL_LENGTH)
    for token in emoji.analyze(normalized, join_emoji=True):
        match = token.value
        spans.setdefault(match.start, (match.end, 2))
    length, i = 0, 0
    while i < len(normalized):
        span = spans.get(i)
        if span is not None:
            end, weight = span
            length += weight
            i = end
        else:
            length += _char_weight(normalized[i])
            i += 1
    return length


def fits_tweet(text: str, limit: int = TWEET_LIMIT) -> bool:
    """True if ``text`` fits in one post of ``limit`` weighted characters."""
    return twitter_weighted_length(text) <= limit


# --- shortening and splitting, for every channel -----------------------------

_ELLIPSIS, _ASCII_ELLIPSIS = "\u2026", "..."
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
    ellipsis = _ASCII_ELLIPSIS if is_gsm7(text + suffix) else _ELLIPSIS

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
        ends = [m.start(m.lastindex) for m in pattern.finditer(text, 0, limit + 1)]
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
