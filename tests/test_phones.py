"""bot/phones.py: one phone-number rule (phonenumbers) for parsing, E.164, display and masking."""
from __future__ import annotations

import pytest

from bot import phones
from bot.web.report_form import normalize_phone

INDONESIAN_MOBILE = ["081234567890", "0812-3456-7890", "+62 812 3456 7890", "6281234567890", "81234567890",
                     "+62 (812) 3456.7890", "０８１２３４５６７８９０"]


@pytest.mark.parametrize("raw", INDONESIAN_MOBILE)
def test_every_written_form_of_a_mobile_is_one_e164(raw: str) -> None:
    assert phones.sms_e164(raw) == "+6281234567890"
    # The web form uses the same rule (it used to accept any "+..." and refuse a bare 8...).
    assert normalize_phone(raw) == "+6281234567890"


@pytest.mark.parametrize("raw", ["(021) 555-1234", "0212345678", "555-1234", "0812", "+1 555 0100", "abc", "",
                                 "+62 812", "1" * 200, "+447700900123"])
def test_landlines_fictional_and_garbage_get_no_sms(raw: str) -> None:
    assert phones.sms_e164(raw) is None


def test_landline_is_still_a_phone_number() -> None:
    assert phones.e164("(021) 555-1234") == "+62215551234"
    assert phones.sms_e164("+60 12-345 6789") == "+60123456789"  # a Malaysian mobile gets SMS too


def test_display_and_mask() -> None:
    assert phones.display("+6281234567890") == "+62 812-3456-7890"
    assert phones.display("not a number") == "not a number"
    masked = phones.mask("+6281234567890")
    assert masked == "+62 ***-****-*890" and "1234" not in masked
    assert phones.mask("garbage") == "[phone]"


@pytest.mark.parametrize("typed", ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "(021) 555-1234",
                                   "+44 7400 123456", "０８１２-３４５６-７８９０", "nomor saya"])
def test_the_staff_counter_and_the_web_form_read_numbers_by_one_rule(typed):
    from bot.staff.commands.parse import normalize_phone as staff_rule

    assert staff_rule(typed) == normalize_phone(typed)


def test_officers_may_type_a_mobile_without_its_trunk_zero():
    from bot.staff.commands.parse import normalize_phone as staff_rule

    assert staff_rule("812 3456 7890") == "+6281234567890"
