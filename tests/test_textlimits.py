"""How channels count length, and how texts are shortened or split to fit."""
from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from adapters.textlimits import (
    fits_sms,
    fits_tweet,
    gsm_friendly,
    is_gsm7,
    shorten_to_fit,
    sms_segments,
    split_to_fit,
    twitter_weighted_length,
)

# --- GSM-7 / UCS-2 --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("GSM-7", 0)),
        ("a" * 160, ("GSM-7", 1)),
        ("a" * 161, ("GSM-7", 2)),
        ("a" * 306, ("GSM-7", 2)),
        ("a" * 307, ("GSM-7", 3)),
        ("€", ("GSM-7", 1)),
        ("€" * 80, ("GSM-7", 1)),  # 160 septets
        ("€" * 80 + "a", ("GSM-7", 2)),
        ("a" * 159 + "€", ("GSM-7", 2)),  # 161 septets
        ("è" * 160, ("GSM-7", 1)),  # accented letters of the default alphabet
        ("中" * 70, ("UCS-2", 1)),
        ("中" * 71, ("UCS-2", 2)),
        ("中" * 134, ("UCS-2", 2)),
        ("中" * 135, ("UCS-2", 3)),
        ("a" * 69 + "😀", ("UCS-2", 2)),  # the emoji is 2 code units: 71
        ("a" * 68 + "😀", ("UCS-2", 1)),
        ("Jalan rusak 😀", ("UCS-2", 1)),
        ("Laporan Anda diterima.\nNomor: JKT-7K3M-QXP2", ("GSM-7", 1)),
    ],
)
def test_sms_segments_known(text: str, expected: tuple[str, int]) -> None:
    assert sms_segments(text) == expected


def test_extension_chars_count_two_septets() -> None:
    for ch in "^{}\\[~]|€\f":
        assert is_gsm7(ch)
        assert sms_segments(ch * 80) == ("GSM-7", 1)
        assert sms_segments(ch * 81) == ("GSM-7", 2)


def test_escape_pair_is_not_split_across_parts() -> None:
    # 152 plain septets then "€": the pair does not fit the first part's last
    # septet, so it moves to part 2; 153 + 153 + 1 more would need a third.
    text = "a" * 152 + "€" + "a" * 151
    assert sms_segments(text) == ("GSM-7", 2)
    assert sms_segments(text + "a") == ("GSM-7", 3)


def test_emoji_surrogate_pair_is_not_split() -> None:
    assert sms_segments("a" * 66 + "😀" + "a" * 65) == ("UCS-2", 2)
    assert sms_segments("a" * 66 + "😀" + "a" * 66) == ("UCS-2", 3)


@pytest.mark.parametrize("text", ["😀", "“kutip”", "ç", "—", "中文", "\x1b", "\t"])
def test_not_gsm7(text: str) -> None:
    assert not is_gsm7(text)


def test_gsm7_alphabet_samples() -> None:
    assert is_gsm7("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCXYZÄÖÑÜ§¿abcxyzäöñüà")


def test_fits_sms() -> None:
    assert fits_sms("a" * 306, 2)
    assert not fits_sms("a" * 307, 2)
    assert fits_sms("", 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("“Jalan” ‘rusak’ – parah… ya", "\"Jalan\" 'rusak' - parah... ya"),
        ("Tim sudah datang — terima kasih", "Tim sudah datang - terima kasih"),
        ("Jl.\u00a0Sudirman\u2009No.\u202f5", "Jl. Sudirman No. 5"),
        ("• sampah\n• parkir", "- sampah\n- parkir"),
        ("zero\u200bwidth", "zerowidth"),
        ("biasa saja", "biasa saja"),
        ("“你好” 中文", "“你好” 中文"),  # real non-GSM text: left alone
        ("“Banjir” 😀", "“Banjir” 😀"),
    ],
)
def test_gsm_friendly(text: str, expected: str) -> None:
    assert gsm_friendly(text) == expected


def test_gsm_friendly_makes_typographic_text_gsm7() -> None:
    text = "Laporan “JKT-7K3M-QXP2” sedang diproses – terima kasih…"
    assert sms_segments(text)[0] == "UCS-2"
    assert sms_segments(gsm_friendly(text)) == ("GSM-7", 1)


# --- X / Twitter ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("a" * 280, 280),
        ("https://example.com", 23),
        ("https://example.com/" + "a" * 100, 23),
        ("http://jakarta.go.id/lapor/JKT-7K3M-QXP2?ref=sms", 23),
        ("lihat example.com/path?x=1.", 6 + 23 + 1),
        ("http://jakarta.go.id/lapor).", 23 + 2),
        ("lapor.go.id", 23),
        ("Cek https://aduan.jakarta.go.id/t/JKT-7K3M-QXP2 ya", 4 + 23 + 3),
        ("warga@example.com", 17),  # an e-mail address is not a URL
        ("Jl.Sudirman no.5 pukul 10.30", 28),
        ("日本語", 6),
        ("中", 2),
        ("😀", 2),
        ("👍🏽", 2),  # skin tone sequence
        ("👨\u200d👩\u200d👧", 2),  # ZWJ family
        ("🇮🇩", 2),  # flag
        ("“halo” – ok", 11),  # U+2010-U+201F weigh 1
        ("…", 2),  # U+2026 is outside the weight-1 ranges
        ("e\u0301", 1),  # NFC: one character
        ("a\r\nb", 3),
        ("english text 日本語 😷 https://example.com", 46),  # twitter-text's own example
    ],
)
def test_twitter_weighted_length(text: str, expected: int) -> None:
    assert twitter_weighted_length(text) == expected


def test_fits_tweet() -> None:
    assert fits_tweet("a" * 280)
    assert not fits_tweet("a" * 281)
    assert fits_tweet("中" * 140)
    assert not fits_tweet("中" * 141)
    url = "https://aduan.jakarta.go.id/t/" + "x" * 200
    assert fits_tweet("a" * 256 + " " + url)  # 256 + 1 + 23
    assert not fits_tweet("a" * 257 + " " + url)
    assert fits_tweet("a" * 10, limit=10)


# --- shorten_to_fit / split_to_fit ---------------------------------------------------

SUFFIX = "https://aduan.jakarta.go.id/t/JKT-7K3M-QXP2"


def test_shorten_keeps_text_that_fits() -> None:
    assert shorten_to_fit("Laporan diterima.", lambda s: len(s) <= 100, SUFFIX) == f"Laporan diterima. {SUFFIX}"


def test_shorten_cuts_at_a_word_boundary_with_ascii_ellipsis_for_gsm() -> None:
    text = "Laporan Anda sedang diproses oleh Dinas Bina Marga. Terima kasih atas kesabaran Anda."
    result = shorten_to_fit(text, lambda s: fits_sms(s, 1) and len(s) <= 80, SUFFIX)
    assert result == f"Laporan Anda sedang diproses oleh... {SUFFIX}"  # 80 chars
    assert is_gsm7(result)


def test_shorten_uses_unicode_ellipsis_when_not_gsm() -> None:
    text = "Terima kasih 🙏 laporan Anda sedang diproses oleh Dinas Bina Marga"
    result = shorten_to_fit(text, lambda s: len(s) <= 60, SUFFIX)
    assert result == f"Terima kasih 🙏… {SUFFIX}"


def test_shorten_hard_cuts_a_single_long_word() -> None:
    result = shorten_to_fit("x" * 100, lambda s: len(s) <= 30, "END")
    assert result == "x" * 23 + "... END"


def test_shorten_returns_suffix_alone_when_nothing_else_fits() -> None:
    assert shorten_to_fit("panjang sekali", lambda s: len(s) <= len(SUFFIX) + 2, SUFFIX) == SUFFIX


def test_shorten_without_suffix() -> None:
    assert shorten_to_fit("satu dua tiga empat", lambda s: len(s) <= 12, None) == "satu dua..."
    assert shorten_to_fit("satu dua tiga empat", lambda s: len(s) <= 12, "") == "satu dua..."


def test_shorten_rejects_a_suffix_that_cannot_fit() -> None:
    with pytest.raises(ValueError):
        shorten_to_fit("teks", lambda s: len(s) <= 5, SUFFIX)


def test_shorten_for_tweets() -> None:
    text = " ".join(["Laporan jalan rusak di Kemang sudah ditindaklanjuti."] * 10)
    result = shorten_to_fit(text, fits_tweet, SUFFIX)
    assert fits_tweet(result) and result.endswith(SUFFIX)
    assert twitter_weighted_length(result) > 250


def test_split_prefers_paragraphs_and_sentences() -> None:
    para1 = "Laporan Anda sudah kami terima. Petugas kelurahan akan memeriksa lokasi."
    para2 = "Jika ada informasi tambahan, balas pesan ini."
    parts = split_to_fit(f"{para1}\n\n{para2}", lambda s: len(s) <= 80)
    assert parts == [para1, para2]
    parts = split_to_fit(para1, lambda s: len(s) <= 50)
    assert parts == ["Laporan Anda sudah kami terima.", "Petugas kelurahan akan memeriksa lokasi."]


def test_split_hard_cuts_long_words() -> None:
    assert split_to_fit("a" * 70, lambda s: len(s) <= 30) == ["a" * 30, "a" * 30, "a" * 10]


def test_split_short_and_empty() -> None:
    assert split_to_fit("halo", lambda s: len(s) <= 30) == ["halo"]
    assert split_to_fit("  \n ", lambda s: len(s) <= 30) == []


def test_split_rejects_impossible_limits() -> None:
    with pytest.raises(ValueError):
        split_to_fit("中文", lambda s: twitter_weighted_length(s) <= 1)


def test_split_sms_parts_fit_one_segment() -> None:
    text = "Laporan JKT-7K3M-QXP2: " + "jalan berlubang cukup dalam di depan sekolah. " * 12
    parts = split_to_fit(text, lambda s: fits_sms(s, 1))
    assert len(parts) > 1
    assert all(sms_segments(p) == ("GSM-7", 1) for p in parts)


# --- properties ---------------------------------------------------------------------

words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Zs", "Cc")), min_size=1, max_size=25)
texts = st.lists(
    st.tuples(words, st.sampled_from([" ", " ", "  ", "\n", "\n\n", ". ", "! "])), max_size=60
).map(lambda pairs: "".join(w + sep for w, sep in pairs))
limits = st.sampled_from(
    [
        lambda s: len(s) <= 40,
        lambda s: fits_sms(s, 1),
        lambda s: fits_tweet(s, 60),
        lambda s: len(s.encode("utf-8")) <= 64,
    ]
)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@settings(max_examples=200, deadline=None)
@given(texts, limits)
def test_split_parts_fit_and_rejoin(text: str, fits) -> None:
    parts = split_to_fit(text, fits)
    assert all(fits(p) for p in parts)
    assert all(p and p == p.strip() for p in parts)
    assert _squash("".join(parts)) == _squash(text)


suffixes = st.sampled_from(["", SUFFIX, "jakarta.go.id/t/X", "Info: 1708"])


@settings(max_examples=200, deadline=None)
@given(texts, limits, suffixes)
def test_shorten_fits_and_ends_with_suffix(text: str, fits, suffix: str) -> None:
    assume(fits(suffix))
    result = shorten_to_fit(text, fits, suffix)
    assert fits(result)
    assert result.endswith(suffix)


@given(st.text(max_size=300))
def test_segment_count_is_monotone(text: str) -> None:
    enc, n = sms_segments(text)
    enc2, n2 = sms_segments(text + "a")
    assert n2 >= n
    assert enc == "UCS-2" or enc2 == "GSM-7"
