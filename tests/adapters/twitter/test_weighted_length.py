"""X's weighted text length (moved from test_textlimits)."""
from __future__ import annotations

import pytest

from adapters.twitter.weighted import fits_tweet, twitter_weighted_length

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
