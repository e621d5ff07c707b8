"""Small pure pieces: URL rewriting, signatures, geo, text, settings."""
from __future__ import annotations

import pytest
from pydantic import ValidationError
from yarl import URL

from adapters.twitter.adapter import DM_MAX_CHARS, fit_dm
from adapters.twitter.geo import bbox_centre, point, polygon_bbox
from adapters.twitter.parsing import normalize_language, one_to_one_conversation_id, strip_leading_mentions
from adapters.twitter.session import API_HOST, UPLOAD_HOST, RewritingRequestsSession, rewrite_url
from adapters.twitter.signing import crc_response_token, signature_valid
from tests.adapters.twitter.support import BEARER, CONSUMER_SECRET, make_settings

TARGETS = {API_HOST: URL("http://127.0.0.1:8080"), UPLOAD_HOST: URL("https://proxy.example/x-upload/")}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.twitter.com/2/tweets", "http://127.0.0.1:8080/2/tweets"),
        # OAuth-signed URLs arrive pre-encoded; the encoding must survive.
        (URL("https://api.twitter.com/2/dm_events?a=b%3Ac&x=1%2C2", encoded=True),
         "http://127.0.0.1:8080/2/dm_events?a=b%3Ac&x=1%2C2"),
        ("https://upload.twitter.com/1.1/media/upload.json", "https://proxy.example/x-upload/1.1/media/upload.json"),
        ("https://pbs.twimg.com/media/abc.jpg", "https://pbs.twimg.com/media/abc.jpg"),
    ],
)
def test_rewrite_url(url: str | URL, expected: str) -> None:
    assert str(rewrite_url(url, TARGETS)) == expected


def test_requests_session_rewrites_after_signing() -> None:
    import requests

    session = RewritingRequestsSession({UPLOAD_HOST: "http://127.0.0.1:9/up"})
    prepared = requests.Request("POST", "https://upload.twitter.com/1.1/media/upload.json").prepare()
    assert session._rewrite(prepared.url) == "http://127.0.0.1:9/up/1.1/media/upload.json"  # type: ignore[arg-type]


def test_crc_and_signature_known_vector() -> None:
    # HMAC-SHA256("secret", "token") in base64, computed with openssl.
    assert crc_response_token("secret", "token") == "sha256=6UERDj0r/oJiHw4+FDRzDXMF0QbF9oyHFl0LJ6RhGko="
    assert signature_valid("secret", b"token", "sha256=6UERDj0r/oJiHw4+FDRzDXMF0QbF9oyHFl0LJ6RhGko=")
    assert not signature_valid("secret", b"token", None)
    assert not signature_valid("secret", b"token", "sha256=\u00e9")


def test_geo_helpers() -> None:
    assert point([106.8272, -6.1854]) == (-6.1854, 106.8272)
    assert point([200, 0]) is None and point(["a", 1]) is None and point([True, 1]) is None
    assert bbox_centre([106.0, -6.2, 106.02, -6.18], 0.05) == pytest.approx((-6.19, 106.01))
    assert bbox_centre([106.6894, -6.3708, 106.9741, -6.0889], 0.05) is None  # city-wide
    assert polygon_bbox([[[1, 2], [1, 4], [3, 4], [3, 2]]]) == [1, 2, 3, 4]
    assert polygon_bbox(None) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@DKIJakarta jalan rusak", "jalan rusak"),
        ("@DKIJakarta @lurah_gambir  sampah @budi tolong", "sampah @budi tolong"),
        ("Halo @DKIJakarta jalan rusak", "Halo @DKIJakarta jalan rusak"),
        ("@DKIJakarta", ""),
        ("email@example.com", "email@example.com"),
    ],
)
def test_strip_leading_mentions(text: str, expected: str) -> None:
    assert strip_leading_mentions(text) == expected


def test_small_parsing_helpers() -> None:
    assert normalize_language("in") == "id" and normalize_language("und") is None
    assert normalize_language("qme") is None and normalize_language("en") == "en"
    assert one_to_one_conversation_id("1500000000000000006", "1111111111") == "1111111111-1500000000000000006"


def test_fit_dm() -> None:
    assert fit_dm("pendek", None) == "pendek"
    long = fit_dm("x" * 20_000, "https://aduan.jakarta.go.id/t/JKT-7K3M-QXP4")
    assert len(long) == DM_MAX_CHARS and long.endswith("… https://aduan.jakarta.go.id/t/JKT-7K3M-QXP4")


def test_settings() -> None:
    s = make_settings()
    assert s.poll_interval_seconds == 60 and s.api_base_url == "https://api.twitter.com"
    assert BEARER not in repr(s) and CONSUMER_SECRET not in repr(s)
    with pytest.raises(ValidationError):
        make_settings(poll_interval_seconds=1)
    with pytest.raises(ValidationError):
        make_settings(account_user_id="@DKIJakarta")
    with pytest.raises(ValidationError):
        make_settings(api_base_url="api.twitter.com")
    with pytest.raises(ValidationError):
        make_settings(consumer_secret="", webhook_enabled=True)
    assert make_settings(account_username="@DKIJakarta").account_username == "DKIJakarta"
