"""Text normalisation shared by categorisation and area routing.

Citizens write complaints in informal Indonesian: SMS abbreviations, Jakarta
slang, reduplication written as ``2`` (``gorong2``) and typos. Everything here
turns such text into a list of plain lower-case tokens with the common
abbreviations expanded, so keyword and place-name matching can be exact
dictionary look-ups plus a small, bounded amount of typo tolerance.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from rapidfuzz.distance import OSA

# Matching (tracking IDs, categories, areas) reads at most this many characters of a
# message: a 200,000-character mail would otherwise hold the single DB writer for most of a
# second (issue 16). A complaint says what and where near its start; the stored text is whole.
MATCH_CHARS = 4000

# Informal spellings -> standard word(s). Values may hold several words
# ("jaksel" -> "jakarta selatan"); they are split into tokens.
ABBREVIATIONS: Mapping[str, str] = {
    # places and address parts
    "jl": "jalan", "jln": "jalan", "jaln": "jalan",
    "gg": "gang",
    "kel": "kelurahan", "kelr": "kelurahan", "kelur": "kelurahan", "klrhn": "kelurahan",
    "kelurhan": "kelurahan",
    "kec": "kecamatan", "kcmtn": "kecamatan", "kecam": "kecamatan", "kecamtan": "kecamatan",
    "kp": "kampung", "kmp": "kampung", "kampong": "kampung",
    "komp": "komplek", "kompl": "komplek", "kompleks": "komplek",
    "perum": "perumahan",
    "psr": "pasar",
    "jkt": "jakarta",
    "jakpus": "jakarta pusat", "jakut": "jakarta utara", "jakbar": "jakarta barat",
    "jaksel": "jakarta selatan", "jaktim": "jakarta timur",
    "dpn": "depan", "blkg": "belakang", "sblh": "sebelah", "sbl": "sebelah",
    "dkt": "dekat", "dket": "dekat", "deket": "dekat", "dkat": "dekat",
    "sktr": "sekitar",
    # function words and slang
    "yg": "yang", "dgn": "dengan", "dg": "dengan",
    "tdk": "tidak", "gak": "tidak", "ga": "tidak", "gk": "tidak", "nggak": "tidak",
    "ngga": "tidak", "engga": "tidak", "enggak": "tidak", "ndak": "tidak", "kagak": "tidak",
    "udh": "sudah", "udah": "sudah", "sdh": "sudah", "dah": "sudah",
    "blm": "belum", "blum": "belum",
    "bgt": "banget", "bngt": "banget", "bener": "benar",
    "dr": "dari", "krn": "karena", "karna": "karena", "krna": "karena",
    "tp": "tapi", "tpi": "tapi", "sm": "sama", "utk": "untuk", "u": "untuk",
    "bnyk": "banyak", "byk": "banyak", "jg": "juga", "lg": "lagi",
    "aja": "saja", "aj": "saja", "sj": "saja",
    "gmn": "bagaimana", "gimana": "bagaimana", "knp": "kenapa", "np": "kenapa",
    "org": "orang", "sy": "saya", "sya": "saya", "gw": "saya", "gue": "saya", "gua": "saya",
    "tlg": "tolong", "mhn": "mohon", "bpk": "bapak", "pak": "bapak", "bu": "ibu",
    "kmrn": "kemarin", "kemaren": "kemarin", "skrg": "sekarang", "skr": "sekarang",
    "hrs": "harus", "trs": "terus", "trus": "terus", "msh": "masih", "masi": "masih",
    "mlm": "malam", "pgi": "pagi", "tsb": "tersebut", "kpd": "kepada",
    "bkn": "bukan", "emg": "memang", "emang": "memang", "bs": "bisa", "bsa": "bisa",
    "dll": "dan lain lain", "dsb": "dan sebagainya", "dgr": "dengar",
    "pdhl": "padahal", "sampe": "sampai", "smpe": "sampai", "ampe": "sampai",
    "dmn": "dimana", "kalo": "kalau", "klo": "kalau", "kl": "kalau",
    "tau": "tahu", "liat": "lihat", "ngeliat": "melihat", "bikin": "membuat",
}

# Frequent ordinary words and place names. Typo tolerance must never turn one
# of these into a keyword ("mohon" is one edit from "pohon", "sampai" from
# "sampah", the kelurahan "Bangka" from "bangkai").
COMMON_WORDS: frozenset[str] = frozenset(
    """
    sampai mohon tolong tahan dalam kenangan harga lapar sudah belum karena dengan
    banyak banget warga rumah depan dekat tidak sekarang kemarin malam siang pagi
    sore bulan minggu tahun sekitar parah kapan kenapa bagaimana sangat sekali
    terima kasih bapak jalan jalanan pasar taman kantor sekolah masjid gereja
    tempat orang semua setiap bahkan hingga selama tetapi sedang masih harus terus
    lihat tahu dengar kalau untuk pada adalah bukan memang sering selalu langsung
    segera cepat lambat lama baru besar kecil tinggi rendah panjang pendek kanan
    kiri utara selatan timur barat tengah lewat pinggir ujung sebelah belakang
    samping seberang dimana nomor lantai kamar motor mobil truk sepeda anak
    tetangga tolong tindak lanjut lanjuti petugas pihak pemerintah dinas kelurahan
    kecamatan lurah camat wilayah daerah lokasi alamat kampung komplek perumahan
    apartemen gedung stasiun terminal halte tanah pohon sampah lampu banjir parkir
    sudahkah mengapa akibat sebab hujan panas dingin kering basah buang bakar
    dibuang dibakar ditutup dibuka dibiarkan diperbaiki dibersihkan dipotong
    warganya rumahnya bantu bantuan laporan lapor melapor mengganggu ganggu
    menutup tutup masuk keluar naik turun jatuh rusak mati hidup nyala padam
    kosong penuh bersih kotor bau busuk becek licin gelap terang ramai sepi
    jeruk mangga bambu kapuk muara sawit gedong galur lebak gebang tangga gedung
    sakit suara meter jalur melawan
    bangka malaka melawai mester bekasi bogor depok tangerang
    """.split()
)

# One pass that drops punctuation and splits letters from digits ("rt03" ->
# "rt", "03"). The first branch keeps reduplication written with a 2
# ("gorong2") in one piece so it can be doubled; it needs three letters so
# "rt2"/"lt2" (RT 2, lantai 2) stay a word and a number.
_TOKEN = re.compile(r"[^\W\d_]{3,}2(?!\d)|[^\W\d_]+|\d+")


def strip_accents(text: str) -> str:
    """Drop diacritics ("é" -> "e") so accented input matches plain keywords."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    # Look up each distinct character once, not every character of a long mail body.
    marks = "".join(sorted(ch for ch in set(decomposed) if unicodedata.combining(ch)))
    return re.sub(f"[{marks}]", "", decomposed) if marks else decomposed  # marks are never ] \\ ^ or -


def _raw_tokens(text: str) -> list[str]:
    text = strip_accents(text.lower())
    tokens = _TOKEN.findall(text)
    if "2" not in text:
        return tokens
    out: list[str] = []
    for token in tokens:
        if token[-1] == "2" and not token[0].isdigit():  # "gorong2" -> "gorong gorong"
            out += (token[:-1], token[:-1])
        else:
            out.append(token)
    return out


def normalize(text: str) -> str:
    """Lower-case, strip accents, replace punctuation with spaces, collapse whitespace."""
    return " ".join(_raw_tokens(text))


def strip_clitic(token: str) -> str:
    """Remove the possessive clitic "-nya" ("sampahnya" -> "sampah") when a real stem remains."""
    if len(token) >= 6 and token.endswith("nya"):
        return token[:-3]
    return token


def _split_expansions(abbreviations: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v.split()) for k, v in abbreviations.items()}


_DEFAULT_EXPANSIONS = _split_expansions(ABBREVIATIONS)


def tokenize(
    text: str,
    *,
    expand: bool = True,
    clitics: bool = True,
    abbreviations: Mapping[str, str] = ABBREVIATIONS,
) -> list[str]:
    """Normalise ``text`` and split it into tokens, expanding abbreviations."""
    tokens = _raw_tokens(text)
    if clitics:
        tokens = [strip_clitic(t) if t.endswith("nya") else t for t in tokens]
    if not expand:
        return tokens
    expansions = (
        _DEFAULT_EXPANSIONS if abbreviations is ABBREVIATIONS else _split_expansions(abbreviations)
    )
    out: list[str] = []
    for token in tokens:
        words = expansions.get(token)
        if words is None:
            out.append(token)
        else:
            out += words
    return out


def damerau_levenshtein(a: str, b: str, max_distance: int | None = None) -> int:
    """Optimal-string-alignment edit distance (a transposition counts as one edit).

    With ``max_distance`` the computation stops early and returns
    ``max_distance + 1`` for anything further apart.
    """
    return OSA.distance(a, b, score_cutoff=max_distance)


def deletes1(word: str) -> set[str]:
    """All strings obtained by deleting one character from ``word``."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class FuzzyVocabulary:
    """Maps a possibly misspelt word to a vocabulary word at edit distance <= 1.

    Uses a symmetric-deletion index (as in SymSpell): a vocabulary word and a
    typo one edit apart always share a one-deletion variant, so a look-up costs
    ``len(word)`` dict probes instead of a scan of the whole vocabulary.
    Candidates are confirmed with a real OSA distance; letter substitutions
    are only trusted in longer words.
    """

    def __init__(
        self,
        words: Iterable[str],
        *,
        min_length: int = 5,
        min_substitution_length: int = 7,
        protected: Iterable[str] = COMMON_WORDS,
    ) -> None:
        self.min_length = min_length
        self.min_substitution_length = min_substitution_length
        self.words: frozenset[str] = frozenset(w for w in words if len(w) >= min_length)
        self._protected = frozenset(protected)
        self._index: dict[str, set[str]] = {}
        for word in self.words:
            for key in deletes1(word) | {word}:
                self._index.setdefault(key, set()).add(word)

    def __contains__(self, word: object) -> bool:
        return word in self.words

    def lookup(self, token: str) -> str | None:
        """Return ``token`` itself if known, else the unique vocabulary word one edit away, else None."""
        if token in self.words:
            return token
        if len(token) < self.min_length or token in self._protected:
            return None
        candidates: set[str] = set()
        index = self._index
        for key in deletes1(token) | {token}:
            found = index.get(key)
            if found:
                candidates |= found
        best = [
            w for w in candidates
            if OSA.distance(token, w, score_cutoff=1) <= 1 and self._plausible(token, w)
        ]
        # Two equally close words: refuse to guess rather than pick arbitrarily.
        return best[0] if len(best) == 1 else None

    def _plausible(self, token: str, word: str) -> bool:
        # A one-letter substitution in a short word is more often another real
        # word ("bocor"/"bogor", "nyamuk"/"ngamuk") than a typo; dropped,
        # doubled and swapped letters are the usual typing slips.
        if len(token) != len(word) or len(token) >= self.min_substitution_length:
            return True
        return sorted(token) == sorted(word)  # a transposition, not a substitution
