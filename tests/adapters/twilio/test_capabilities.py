"""Capabilities as data, text_fits and prepare_text for "sms" and "whatsapp"."""
from __future__ import annotations

import pytest

from adapters.twilio import TwilioAdapter

# (channel, text, fits) with the default 3 segments for SMS.
FITS = [
    ("sms", "a" * 160, True),
    ("sms", "a" * 459, True),  # 3 x 153 GSM-7
    ("sms", "a" * 460, False),
    ("sms", "Jl. Kemang Raya {RT 05}" * 10, True),  # extension chars count 2: 250 septets
    ("sms", "é" * 459, True),  # é is in the GSM-7 alphabet
    ("sms", "x" * 199 + "🙏", True),  # UCS-2: 201 units = 3 x 67
    ("sms", "x" * 200 + "🙏", False),
    ("sms", "ş" * 201, True),
    ("sms", "ş" * 202, False),
    ("sms", "", True),
    ("whatsapp", "a" * 1600, True),
    ("whatsapp", "a" * 1601, False),
    ("whatsapp", "🙏" * 1600, True),
]


@pytest.mark.parametrize("channel,text,fits", FITS, ids=[f"{c}-{len(t)}-{f}" for c, t, f in FITS])
def test_text_fits(adapter: TwilioAdapter, channel: str, text: str, fits: bool) -> None:
    assert adapter.text_fits(text, channel) is fits


def test_max_segments_setting(make_adapter) -> None:
    one = make_adapter(max_segments=1)
    assert one.text_fits("a" * 160, "sms") and not one.text_fits("a" * 161, "sms")
    assert one.capabilities_for("sms").max_text_length == 160


PREPARE = [
    ("sms", "Laporan “JKT-7K3M-QXP4” sudah diterima – terima kasih…", 'Laporan "JKT-7K3M-QXP4" sudah diterima - terima kasih...'),
    ("sms", "Status: Proses’", "Status: Proses'"),
    ("sms", "Terima kasih 🙏 “ok”", "Terima kasih 🙏 “ok”"),  # stays UCS-2 anyway: unchanged
    ("whatsapp", "Laporan “JKT-7K3M-QXP4” – selesai…", "Laporan “JKT-7K3M-QXP4” – selesai…"),
]


@pytest.mark.parametrize("channel,text,expected", PREPARE)
def test_prepare_text(adapter: TwilioAdapter, channel: str, text: str, expected: str) -> None:
    assert adapter.prepare_text(text, channel) == expected


def test_prepared_template_stays_gsm7(adapter: TwilioAdapter) -> None:
    """A 150-char template with curly quotes is 3 UCS-2 parts raw, 1 GSM-7 part prepared."""
    from adapters.twilio.gsm import sms_segments

    text = "“" + "a" * 148 + "”"

    assert sms_segments(text) == ("UCS-2", 3)
    assert sms_segments(adapter.prepare_text(text, "sms")) == ("GSM-7", 1)


def test_channels(adapter: TwilioAdapter) -> None:
    assert adapter.channels() == ("sms", "whatsapp")
    with pytest.raises(ValueError):
        adapter.capabilities_for("telegram")


def test_sms_capabilities_default(adapter: TwilioAdapter) -> None:
    caps = adapter.capabilities_for("sms")
    assert caps.split_long_text is False
    assert caps.supports_photo is False
    assert caps.per_recipient_per_second == 1.0
    assert caps.rate_per_second == pytest.approx(1 / 3)  # 1 segment/s, 3 segments per message
    assert caps.max_text_length == 459


def test_sms_capabilities_short_code_and_mms(make_adapter) -> None:
    caps = make_adapter(sms_segments_per_second=100, sms_mms=True).capabilities_for("sms")
    assert caps.rate_per_second == pytest.approx(100 / 3)
    assert caps.burst == 33
    assert caps.supports_photo is True


def test_whatsapp_capabilities(adapter: TwilioAdapter) -> None:
    caps = adapter.capabilities_for("whatsapp")
    assert (caps.supports_photo, caps.split_long_text, caps.max_text_length) == (True, True, 1600)
    assert caps.photo_caption_max == 1024
    assert caps.max_photo_bytes == 5 * 1024 * 1024


def test_health(adapter: TwilioAdapter) -> None:
    assert adapter.health() == {
        "state": "not_started",
        "rejected_signatures": 0,
        "rejected_requests": 0,
        "media_errors": 0,
    }


def test_settings_reject_duplicate_numbers(make_adapter) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        make_adapter(numbers=[{"number": "1708", "label": "a"}, {"number": "1708", "label": "b"}])


def test_settings_strip_whatsapp_prefix_and_secret_hidden(adapter: TwilioAdapter) -> None:
    from tests.adapters.twilio.conftest import make_settings
    from tests.adapters.twilio.payloads import AUTH_TOKEN

    settings = make_settings(numbers=[{"number": "whatsapp:+62 811-1272-206", "label": "wa", "whatsapp": True}])
    assert settings.numbers[0].number == "+628111272206"
    assert AUTH_TOKEN not in repr(settings) and AUTH_TOKEN not in str(settings.model_dump())
