"""SMS length as carriers count it (GSM-7 / UCS-2 segments) and GSM-7 friendly text (moved from test_textlimits)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.twilio.gsm import fits_sms, gsm_friendly, is_gsm7, sms_segments

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


@given(st.text(max_size=300))
def test_segment_count_is_monotone(text: str) -> None:
    enc, n = sms_segments(text)
    enc2, n2 = sms_segments(text + "a")
    assert n2 >= n
    assert enc == "UCS-2" or enc2 == "GSM-7"
