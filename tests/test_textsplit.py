"""The core's shortening and splitting of a text to fit one message (moved from test_textlimits).

The channels' own ``fits`` predicates (GSM-7 segments, X's weighted length) drive it, as in production.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from adapters.twilio.gsm import fits_sms, is_gsm7, sms_segments
from adapters.twitter.weighted import fits_tweet, twitter_weighted_length
from bot.textsplit import shorten_to_fit, split_to_fit

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
