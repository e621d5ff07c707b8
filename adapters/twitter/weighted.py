"""X's weighted text length (the X channel's text limit).

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

import emoji

TWEET_LIMIT = 280
TWITTER_URL_LENGTH = 23


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
        if not isinstance(match, emoji.EmojiMatch):
            continue  # a plain-text token: analyze() yields none unless non_emoji=True
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


