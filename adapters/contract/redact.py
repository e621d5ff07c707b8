"""The one redactor for text anyone but the reporter's own officers' database may read.

Public pages, the ticket API, Open311, CSV exports, X public replies and the
staff posts that must not identify the reporter all pass text through
``redact``. It removes what identifies a citizen: phone numbers in any written
form (``phonenumbers``' matcher for region ID, after NFKC folds full-width
digits, plus a fallback for spaced or punctuated digit runs), NIK/KK/NPWP and
other long ID numbers, email addresses, @handles, the reporter's own names
(display names from every channel, self-introductions, sign-off blocks) and
exact coordinates typed in the text. Street names and the RT/RW of the problem
location stay: only a sign-off block loses them, because there they are the
reporter's home address.

Over-redacting beats leaking: a street that shares the reporter's first name
loses that word too.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

import phonenumbers

from adapters.contract.rows import RowLike

MARK = "[disamarkan]"
# Digit runs of at least this many digits are identifying (phone, NIK, KK, NPWP, account numbers).
MIN_ID_DIGITS = 9
COORDINATE_DECIMALS = 3  # about 110 m of latitude
# Public text is cut here: redaction is linear but not free, and a 1 MB mail would make a page slow.
MAX_PUBLIC_CHARS = 20_000

# Starts only at a token start: without the look-behind a long run of word characters is quadratic.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"(?<![\w@/])@\w{2,30}")
# A run of digits with at most two separators between digits: "(0812) 3456-7890", "0 8 1 2 ...", "12.345.678.9-012.345".
_DIGIT_RUN = re.compile(r"(?<!\w)\+?\(?\d(?:[ \t\-./()]{0,2}\d)*\)?")
_DATE_TIME = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?:[ T]+\d{1,2}[.:]\d{2})?")
_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?")  # Rp 1.500.000.000 is money, not an ID
_COORD_PAIR = re.compile(r"(?<![\d.])(-?\d{1,3}\.\d{4,})(\s*,\s*)(-?\d{1,3}\.\d{4,})(?![\d.])")
# Guards: a step runs only where its patterns can match, because an Open311 listing redacts a thousand texts
# per request. Each guard is implied by the step it guards, under the same flags (no lower-casing, so no
# Unicode case shortcut: the Kelvin sign and the long s still reach the steps): coordinates, phone numbers
# (phonenumbers' matcher needs a Unicode decimal digit, ``\d``) and digit runs need a digit; emails and
# handles an "@" (after NFKC, so a full-width one too); an introduction one of the words below.
_DIGIT = re.compile(r"\d")
_AT = "@"

# Openers of a closing block; the line may carry the name too ("Salam, Budi").
_SIGN_OFF = re.compile(
    r"^\s*(?:-- ?|--|terima\s*kasih|terimakasih|makasih|trims|tks|thanks|thank\s+you|salam\b|hormat\s+(?:saya|kami)"
    r"|wassalam|wasalam|regards|best\s+regards|kind\s+regards|best\s+wishes|sincerely|tabik)[^\n]{0,60}$",
    re.IGNORECASE,
)
_SIGN_OFF_MAX_LINES = 7
_LOWER_WORD = re.compile(r"^[a-z]{3,}[.,!?]?$")
_SIGN_OFF_MAX_LINE = 80

# Words that follow "Saya" but are not a name; a name is up to four capitalised words.
_NOT_NAMES = {
    "mau", "ingin", "akan", "sudah", "telah", "sedang", "warga", "tinggal", "ketua", "pengurus", "penghuni", "pemilik",
    "melapor", "melaporkan", "lapor", "mohon", "minta", "sangat", "juga", "adalah", "dari", "di", "yang", "dan", "ini",
    "itu", "tidak", "belum", "bisa", "hanya", "merasa", "kecewa", "bersama", "selaku", "sebagai", "rt", "rw",
    "jl", "jalan", "kel", "kelurahan", "kec", "kecamatan", "gang", "gg", "no", "blok", "the",
    "admin", "user", "pelapor", "kami", "saya", "sendiri", "lihat", "pernah", "selalu", "tiap", "setiap", "dengan",
    "salah", "seorang", "orang", "pengguna", "pengendara", "pejalan", "ojol", "driver", "lagi", "masih", "punya",
    # places that follow "rumah saya ...": the problem's location, not a name
    "masjid", "musala", "mushola", "gereja", "sekolah", "pasar", "kantor", "komplek", "kompleks", "perumahan", "taman",
    "halte", "stasiun", "terminal", "rumah", "toko", "warung", "depan", "belakang", "samping", "dekat", "sebelah",
    "apartemen", "rusun", "puskesmas", "kali", "sungai", "jembatan", "perempatan", "pertigaan", "lampu", "got",
}
_HONORIFICS = {"pak", "bu", "ibu", "bapak", "mas", "mbak", "kak", "bang", "dik", "sdr", "sdri", "mr", "mrs", "ms"}
_NAME_WORD = r"[A-Z][\w'.-]*"
_INTRO_CAPS = re.compile(rf"(?<!\w)(?:saya|aku|i\s+am|i'm)\s*,?\s+((?:{_NAME_WORD})(?:[ \t]+{_NAME_WORD}){{0,3}})",
                         re.IGNORECASE)
# Each alternative of _INTRO_CAPS and _INTRO_NAMED contains one of these, matched with the same IGNORECASE.
_INTRO_HINT = re.compile(r"nama|saya|name|aku|i\s+am|i'm", re.IGNORECASE)
_INTRO_WORDS = ("nama", "saya", "name", "aku", "i'm")
_I_AM = re.compile(r"i\s+am")
_INTRO_NAMED = re.compile(
    r"(?<!\w)(?:(?:nama\s+saya|nama\s+pelapor|nama\s+lengkap|saya\s+bernama|perkenalkan\s*,?\s*(?:nama\s+)?saya|"
    r"my\s+name\s+is)\s*(?:adalah|ialah|:|,)?|nama\s*:)\s*((?:[^\W\d_][\w'.-]*)(?:[ \t]+[^\W\d_][\w'.-]*){0,3})",
    re.IGNORECASE)


@dataclass(frozen=True)
class Identity:
    """What identifies one reporter: display names from every channel and their addresses."""

    names: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()

    @classmethod
    def of(cls, reporter: RowLike | None, extra_names: Iterable[str | None] = ()) -> "Identity":
        if reporter is None:
            return cls(tuple(n for n in extra_names if n))
        names = [reporter.get("display_name"), *extra_names]
        address = str(reporter.get("address") or "")
        # Partner reporters are "partner:who"; the "who" alone is what a text would contain.
        addresses = tuple(dict.fromkeys(a for a in (address, address.rsplit(":", 1)[-1]) if a))
        return cls(tuple(dict.fromkeys(str(n).strip() for n in names if n and str(n).strip())), addresses)


NOBODY = Identity()


def round_coordinate(value: float | None) -> float | None:
    """A public coordinate: about 100 m, enough to find the spot, not the house."""
    return None if value is None else round(float(value), COORDINATE_DECIMALS)


def redact(text: str | None, identity: Identity = NOBODY) -> str:
    """``text`` without the reporter's identity; never raises on any string."""
    if not text:
        return ""
    cut = len(text) > MAX_PUBLIC_CHARS
    text = unicodedata.normalize("NFKC", text[:MAX_PUBLIC_CHARS])
    text = _drop_sign_off(text)
    if _AT in text:
        text = _EMAIL.sub(MARK, text)
    if _may_introduce(text):
        text = _redact_intros(text)  # before display names: "Saya Rina Marlina" goes whole
    text = _redact_identity(text, identity)
    if _DIGIT.search(text):
        text = _COORD_PAIR.sub(_round_pair, text)
        text = _redact_phones(text)
        text = _redact_digit_runs(text)
    if _AT in text:
        text = _HANDLE.sub(MARK, text)
    return text + (" …" if cut else "")


def _may_introduce(text: str) -> bool:
    """False only where neither introduction pattern can match. The IGNORECASE regex costs more than the rest
    of a short text's redaction; on ASCII text (where IGNORECASE is plain ASCII case folding: the Kelvin sign,
    the long s and the dotted I are not ASCII) substring tests on the lower-cased text say the same."""
    if not text.isascii():
        return _INTRO_HINT.search(text) is not None
    lowered = text.lower()
    return any(word in lowered for word in _INTRO_WORDS) or _I_AM.search(lowered) is not None


def _drop_sign_off(text: str) -> str:
    """Remove a trailing closing block ("Terima kasih,\\nBudi Santoso\\nRT 05/RW 03") after some content."""
    lines = text.rstrip().split("\n")
    first = max(1, len(lines) - _SIGN_OFF_MAX_LINES)
    for i in range(first, len(lines)):
        if not _SIGN_OFF.match(lines[i]):
            continue
        before = "\n".join(lines[:i]).strip()
        tail = [ln for ln in lines[i + 1:] if ln.strip()]
        if before and all(len(ln) <= _SIGN_OFF_MAX_LINE and not _is_prose(ln) for ln in tail):
            return before
    return text


def _is_prose(line: str) -> bool:
    """A sentence ("Tapi pipa masih bocor."), not a name, title or address line under a closing."""
    words = line.split()
    return line.rstrip()[-1:] in ".?!" and len(words) >= 3 and any(_LOWER_WORD.match(w) for w in words)


def _redact_identity(text: str, identity: Identity) -> str:
    # A word absent from the text cannot match: skip compiling its pattern (a listing of a thousand tickets
    # has a thousand reporters, far past the ``re`` module's cache). Only where both are ASCII: there a
    # case-insensitive match implies the lower-cased substring, while Unicode case rules (the Kelvin sign,
    # a dotted capital I) match where a plain substring test would not, and a skipped name would leak.
    lowered = text.lower() if text.isascii() else None
    # A character that case-folds to several ("ß" to "ss"): IGNORECASE cannot match it (``_redact_folded``).
    folds_to_several = lowered is None and text.casefold() != text.lower()

    def absent(word: str) -> bool:
        return lowered is not None and word.isascii() and word.lower() not in lowered

    for address in identity.addresses:
        if len(address) >= 4 and not absent(address):
            text = re.sub(re.escape(address), MARK, text, flags=re.IGNORECASE)
    words: list[str] = []
    for name in identity.names:
        name = unicodedata.normalize("NFKC", name).strip().lstrip("@")
        if len(name) >= 2:
            words.append(name)
        words += [p for p in re.split(r"[\s_.,]+", name) if len(p) >= 3 and p.lower() not in _NOT_NAMES]
    for word in sorted(set(words), key=len, reverse=True):  # full names before their parts
        if absent(word.lstrip("@")):
            continue
        text = re.sub(rf"(?<!\w)@?{re.escape(word)}(?!\w)", MARK, text, flags=re.IGNORECASE)
        if folds_to_several or word.casefold() != word.lower():
            text = _redact_folded(text, word)
    return text


def _redact_folded(text: str, word: str) -> str:
    """``word`` written with full Unicode case folding ("Straße" as "STRASSE", "ﬃ" as "ffi"), which ``re``'s
    IGNORECASE (simple, one character for one) does not match. Found in the case-folded text, whose characters
    are mapped back to the text's own, and replaced there."""
    folded_word = word.casefold()
    folded, origin = [], []
    for index, char in enumerate(text):
        for part in char.casefold():
            folded.append(part)
            origin.append(index)
    spans = [(origin[m.start()], origin[m.end() - 1] + 1)
             for m in re.finditer(rf"(?<!\w)@?{re.escape(folded_word)}(?!\w)", "".join(folded))]
    for start, end in reversed(spans):
        text = text[:start] + MARK + text[end:]
    return text


def _redact_intros(text: str) -> str:
    text = _INTRO_NAMED.sub(lambda m: _replace_name(m, need_caps=False), text)
    return _INTRO_CAPS.sub(lambda m: _replace_name(m, need_caps=True), text)


def _replace_name(m: re.Match[str], need_caps: bool) -> str:
    """Replace the name words at the start of group 1, after honorifics such as "Pak"."""
    group = m.group(1)
    words = list(re.finditer(r"\S+", group))
    skip = 0
    while skip < len(words) - 1 and words[skip].group().lower().strip(".,") in _HONORIFICS:
        skip += 1
    take = 0
    for w in words[skip:]:
        word = w.group()
        if word.lower().strip(".,") in _NOT_NAMES or word == MARK or (need_caps and not word[:1].isupper()):
            break
        take += 1
    if not take:
        return m.group(0)
    start, end = words[skip].start(), words[skip + take - 1].end()
    head = m.group(0)[:m.start(1) - m.start(0)]
    return head + group[:start] + MARK + group[end:]


def _round_pair(m: re.Match[str]) -> str:
    lat, lon = float(m.group(1)), float(m.group(3))
    if abs(lat) > 90 or abs(lon) > 180:
        return m.group(0)
    return f"{lat:.{COORDINATE_DECIMALS}f}{m.group(2)}{lon:.{COORDINATE_DECIMALS}f}"


def _redact_phones(text: str) -> str:
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, "ID")]
    for start, end in reversed(spans):
        text = text[:start] + MARK + text[end:]
    return text


def _redact_digit_runs(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        run = m.group(0)
        core = run.strip("()+ ")
        digits = sum(ch.isdigit() for ch in run)
        if digits < MIN_ID_DIGITS or _DATE_TIME.fullmatch(core) or _THOUSANDS.fullmatch(core):
            return run
        return MARK
    return _DIGIT_RUN.sub(repl, text)
