"""The citizen command grammar, shared by every channel.

A message is read as a command only from its first word or two; anything
else is a new report. The rules, in order:

1. Cleaning: NFKC for the keyword and the ID (so full-width or "bold"
   letters read as ASCII), up to three leading courtesy words skipped
   ("Tolong cek ...", "Halo min, info"), leading ``@mentions`` skipped (X
   replies, Telegram groups), an optional leading ``/``, ``#`` or ``!``,
   WhatsApp ``*bold*`` marks, and a Telegram ``@BotName`` suffix on the
   command. Case does not matter, and punctuation or spaces may separate
   the keyword from the rest ("CEK:JKT-...", "cek,jkt ..."). A keyword glued
   to the ID without a separator ("CEKJKT7K3M...") is not recognised.
2. The keyword is the first word, matched exactly, against a list of common
   short misspellings ("cel", "cekk", "lpr"...), or within edit distance 1
   (a transposition counts 1) for keywords of 5 letters or more. A few real
   words that are one edit from a keyword ("lapar", "repot", "mulia"...) are
   never read as typos. Two-word forms: CEK STATUS, BUKA KEMBALI/LAGI,
   RE OPEN, BAHASA INGGRIS/INDONESIA.
3. LAPOR / REPORT: a report of the rest (possibly empty: the core then asks
   for details).
4. CEK / CHECK / STATUS and BUKA / REOPEN take a tracking ID. After the
   keyword, filler words ("laporan", "saya", "no", "dong"...) are skipped and
   the next one to three tokens are read as an ID: a valid one (any case,
   with or without prefix, dashes, dots or spaces) sets ``tracking_id``;
   one that only looks like an ID (it carries the prefix, a digit or an
   inner dash, or it is exactly 8 letters and nothing follows) sets
   ``invalid_id`` to what was typed. Failing that, a valid ID, or a
   prefixed one, anywhere in the rest is used. Text after the ID goes to
   ``text`` (the reason, for a reopen) unless it is only filler ("ya min").
   With no ID: only fillers left means the command without an ID (the core
   asks, or uses the latest ticket); "BUKA KEMBALI"/"REOPEN" plus other text
   is a reopen with that reason; otherwise ("status jalan rusak parah",
   "buka puasa...") it is a report of the whole text.
5. HELP/INFO/MENU/BANTUAN/?, STOP/BERHENTI/UNSUBSCRIBE/UNREG, START/MULAI
   and the language keywords take no argument: they count only when
   nothing but polite filler follows ("stop ya", "info dong"), because
   "bantuan sosial belum cair" or "stop parkir liar" are reports. A slash
   command ("/start payload", "/help x") is explicit and always counts; an
   unknown slash command is read as help.
6. Anything else, including an empty text (a photo without a caption), is a
   report of the whole text. A valid ID quoted in it is put in
   ``tracking_id`` so the core can thread the report to that ticket; here
   the ID must carry our prefix or a digit, because about 1 in 31 ordinary
   8-letter words passes the check symbol ("... di depan sekarang").

``language`` is "en" for English keywords (HELP, CHECK, REOPEN, REPORT,
UNSUBSCRIBE, ENGLISH), "id" for Indonesian ones, None for words both
languages use (STATUS, INFO, MENU, STOP, START, UNREG, ?) and for free text;
for kind "language" it is the language chosen.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.command_ids import EDGE_PUNCT, TOKEN, prefixed_token, quoted_id, read_id
from bot.textnorm import MATCH_CHARS



@dataclass(frozen=True)
class CitizenCommand:
    kind: str  # "report" | "status" | "help" | "reopen" | "stop" | "start" | "language"
    text: str = ""  # report text without the keyword; reopen reason; text after a status ID
    tracking_id: str | None = None  # canonical "JKT-XXXX-XXXX" when a valid one was given
    invalid_id: str | None = None  # what the citizen typed when it looked like an ID but failed the check
    language: str | None = None  # "id" or "en": the language of the keyword, or the one chosen


# keyword -> (kind, language of the keyword)
_KEYWORDS: dict[str, tuple[str, str | None]] = {
    "lapor": ("report", "id"),
    "report": ("report", "en"),
    "cek": ("status", "id"),
    "check": ("status", "en"),
    "status": ("status", None),
    "help": ("help", "en"),
    "bantuan": ("help", "id"),
    "info": ("help", None),
    "menu": ("help", None),
    "?": ("help", None),
    "buka": ("reopen", "id"),
    "reopen": ("reopen", "en"),
    "stop": ("stop", None),
    "berhenti": ("stop", "id"),
    "unsubscribe": ("stop", "en"),
    "unreg": ("stop", None),
    "start": ("start", None),
    "mulai": ("start", "id"),
    "english": ("language", "en"),
    "inggris": ("language", "id"),
    "bahasa": ("language", "id"),
    "indonesia": ("language", "id"),
}
# Common short misspellings (edit distance is only used for 5+ letters).
_VARIANTS = {
    "lpr": "lapor", "lap": "lapor",
    "cel": "cek", "cej": "cek", "cekk": "cek", "ceek": "cek", "cec": "cek", "cex": "cek",
    "ceck": "cek", "chek": "cek", "chk": "cek", "cke": "cek", "ck": "cek", "cik": "cek",
    "stat": "status", "stts": "status", "sts": "status", "sttus": "status",
    "hlp": "help", "halp": "help", "hepl": "help", "helpp": "help", "hellp": "help",
    "bntuan": "bantuan", "bantu": "bantuan", "bantuin": "bantuan",
    "inpo": "info", "infoo": "info", "imfo": "info", "ifno": "info",
    "mnu": "menu", "menuu": "menu", "meny": "menu",
    "bka": "buka", "bukak": "buka", "bukaa": "buka", "bk": "buka",
    "stp": "stop", "stopp": "stop", "setop": "stop", "sotp": "stop",
    "inggirs": "inggris", "ingris": "inggris",
}
# Real words one edit away from a keyword: never read as a typo.
_NOT_TYPOS = frozenset({
    "lapar", "lapo", "lampor", "repot", "reports", "mulia", "statis", "statue", "smart", "stars",
    "stare", "stark", "bahas", "cheek",
})
_LANGUAGE_WORDS = {
    "inggris": "en", "english": "en", "en": "en", "eng": "en",
    "indonesia": "id", "indo": "id", "id": "id", "ind": "id",
}

# Words skipped between a command keyword and the tracking ID.
_ID_FILLERS = frozenset("""
    laporan lapor laporanku laporannya aduan pengaduan keluhan tiket ticket report my the of for
    no nomor nomer nmr nomornya number nr id kode code saya sy aku gue gw yang yg dong donk ya yah
    min mimin admin pak bu kak mas mbak tolong please pls mohon nya status stat untuk utk dengan dgn
    kemarin kmrn sekarang skrg lagi kembali progress progres perkembangan tanggapan update sudah udah
    sampai sampe mana gimana bagaimana gmn how is apa kok belum blm kapan selesai with
""".split())
_SKIPPED = _ID_FILLERS | {""}  # "" : a token that was only punctuation
# Words that may follow an argument-less command ("stop ya", "info dong").
_POLITE = frozenset("""
    ya yah iya dong donk deh aja saja min mimin admin pak bu kak mas mbak please pls plz tolong
    lagi sekarang now me sms pesan notifikasi notif langganan berlangganan kirim semua all
    terima kasih makasih thanks thank you tq ty utama nya saya aku aduan laporan
""".split())

_HEAD = re.compile(
    r"""^(?P<mentions>(?:@\w+[\s,:;]*)*)
        (?P<slash>[/#!])?
        [*_~`"'(\[]*
        (?P<kw>\?+|[^\W\d_]+)
        (?:@\w+)?
        (?P<rest>.*)$""",
    re.S | re.X,
)
_COURTESY = re.compile(
    r"^(?:(?:tolong|mohon|min|mimin|admin|halo|hallo|hai|hi|hello|pak|bu|kak|please|pls)(?:[\s,.:;!]+|$)){1,3}",
    re.IGNORECASE,
)


def parse_citizen_command(text: str, *, prefix: str = "JKT") -> CitizenCommand:
    """Read one inbound text as a citizen command (see the module docstring)."""
    original = (text or "").strip()
    courtesy = _COURTESY.match(original)
    if courtesy:
        # "Tolong cek JKT-...", "Halo min, info": read the command after the greeting.
        command = parse_citizen_command(original[courtesy.end():], prefix=prefix)
        if command.kind != "report" or command.language is not None:
            return command
        return _free_report(original, prefix)
    head = _HEAD.match(original)
    if head is None:
        return _free_report(original, prefix)
    slash = head["slash"] is not None
    word = unicodedata.normalize("NFKC", head["kw"]).casefold()
    rest = _lstrip(head["rest"])
    if word == "re":  # "re open", "re-open"
        second, after = _second_word(rest)
        if second == "open":
            word, rest = "reopen", after
    keyword = "?" if word.startswith("?") else _match_keyword(word)
    if keyword is None:
        if head["slash"] == "/" and not head["mentions"]:
            return CitizenCommand("help")  # an unknown bot command: show the menu
        return _free_report(original, prefix)
    kind, language = _KEYWORDS[keyword]

    if kind == "report":
        return CitizenCommand("report", text=rest, tracking_id=quoted_id(rest[:MATCH_CHARS], prefix), language=language)
    if kind in ("status", "reopen"):
        return _with_id(kind, keyword, language, rest, original, prefix, slash)
    if kind == "language":
        return _language(keyword, rest, original, prefix, slash)

    if not slash and not _only_polite(rest):
        return _free_report(original, prefix)
    if kind == "start" and slash:
        # Telegram deep link: "/start <payload>"; the payload may be an ID.
        tracking_id, _, _ = read_id(rest, prefix)
        return CitizenCommand("start", text=rest, tracking_id=tracking_id, language=language)
    return CitizenCommand(kind, language=language)


def _free_report(original: str, prefix: str) -> CitizenCommand:
    return CitizenCommand("report", text=original, tracking_id=quoted_id(original[:MATCH_CHARS], prefix))


def _lstrip(text: str) -> str:
    """Drop the separator between a keyword and its argument, and closing marks."""
    return re.sub(r"^[\s*_~`\"')\]:,.;=>!?\-]+", "", text).strip()


def _match_keyword(word: str) -> str | None:
    if word in _KEYWORDS:
        return word
    if word in _VARIANTS:
        return _VARIANTS[word]
    if word in _NOT_TYPOS or len(word) < 4:
        return None
    close = [k for k in _KEYWORDS if len(k) >= 5 and _within_one_edit(word, k)]
    return close[0] if len(close) == 1 else None


def _within_one_edit(a: str, b: str) -> bool:
    """Optimal-string-alignment distance <= 1.

    Hand-written: a bounded check against ~20 keywords is a few lines and
    does not justify a compiled fuzzy-matching dependency.
    """
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


def _words(text: str) -> list[str]:
    return [w.strip(EDGE_PUNCT).casefold() for w in text.split() if w.strip(EDGE_PUNCT)]


def _only_polite(rest: str) -> bool:
    return all(w in _POLITE for w in _words(rest))


def _second_word(rest: str) -> tuple[str, str]:
    """(first word of ``rest`` casefolded without punctuation, text after it)."""
    m = re.match(r"[^\W\d_]+", rest)
    if m is None:
        return "", rest
    return m.group(0).casefold(), _lstrip(rest[m.end():])


def _with_id(
    kind: str, keyword: str, language: str | None, rest: str, original: str, prefix: str, slash: bool
) -> CitizenCommand:
    explicit = keyword == "reopen" or slash
    # NFKC so that full-width or styled IDs read like plain ones.
    rest = unicodedata.normalize("NFKC", rest)
    second, after = _second_word(rest)
    if kind == "status" and _match_keyword(second) == "status":
        rest = after  # CEK STATUS
    elif keyword == "buka" and (second == "ulang" or _within_one_edit(second, "kembali")):
        rest, explicit = after, True  # BUKA KEMBALI
    tokens = list(TOKEN.finditer(rest))
    skip = 0
    while skip < len(tokens) and tokens[skip].group().strip(EDGE_PUNCT).casefold() in _SKIPPED:
        skip += 1
    tail = rest[tokens[skip].start():] if skip < len(tokens) else ""
    tracking_id, typed, after_id = read_id(tail, prefix)
    if tracking_id is None and typed is None:
        tracking_id = quoted_id(rest, prefix)
        typed = None if tracking_id else prefixed_token(rest, prefix)
        if tracking_id or typed:
            after_id = rest
    if tracking_id or typed:
        after_id = _lstrip(after_id)
        if all(w in _ID_FILLERS or w in _POLITE for w in _words(after_id)):
            after_id = ""  # "cek JKT-... ya min": nothing worth keeping
        return CitizenCommand(kind, text=after_id, tracking_id=tracking_id, invalid_id=typed,
                              language=language)
    if not tail:
        return CitizenCommand(kind, language=language)
    if kind == "reopen" and explicit:
        return CitizenCommand(kind, text=rest, language=language)
    return _free_report(original, prefix)


def _language(keyword: str, rest: str, original: str, prefix: str, slash: bool) -> CitizenCommand:
    """ENGLISH, BAHASA INGGRIS, BAHASA INDONESIA, INDONESIA, BAHASA."""
    said = _KEYWORDS[keyword][1]
    chosen = _LANGUAGE_WORDS.get(keyword)
    words = _words(rest)
    if keyword == "bahasa":
        chosen = "id"
        if words and _LANGUAGE_WORDS.get(_match_keyword(words[0]) or words[0]):
            chosen = _LANGUAGE_WORDS[_match_keyword(words[0]) or words[0]]
            words = words[1:]
    if not slash and not all(w in _POLITE for w in words):
        return _free_report(original, prefix)
    return CitizenCommand("language", language=chosen or said)
