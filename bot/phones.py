"""Phone numbers, once for the whole gateway, with ``phonenumbers`` (Google's libphonenumber data).

Numbers are stored in E.164 (``+6281234567890``), shown in international format
(``+62 812-3456-7890``), and masked where an officer or a page needs only to recognise one.
A number without a country code is read as Indonesian (``0812...``, ``812...``, ``62812...``);
full-width digits and the usual separators are accepted, as citizens type them.
"""
from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberFormat, PhoneNumberType

DEFAULT_REGION = "ID"
MAX_INPUT = 40  # longer input is not a phone number; phonenumbers would refuse it anyway
# Types that can receive an SMS. FIXED_LINE_OR_MOBILE: regions whose plans do not tell them apart.
_SMS_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def parse(raw: str, region: str = DEFAULT_REGION) -> PhoneNumber | None:
    """A valid number, or None for anything else (text, too short, an unassigned range)."""
    if not raw or len(raw) > MAX_INPUT:
        return None
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def e164(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """E.164 of any valid number (landlines too), or None."""
    number = parse(raw, region)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164) if number else None


def sms_e164(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """E.164 of a number that can receive SMS (a mobile), or None: a landline gets no status updates."""
    number = parse(raw, region)
    if number is None or phonenumbers.number_type(number) not in _SMS_TYPES:
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display(stored: str) -> str:
    """International format for people (``+62 812-3456-7890``); the input unchanged if it is no number."""
    number = parse(stored)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL) if number else stored


def mask(stored: str) -> str:
    """The country code and last three digits only (``+62 ***-****-*890``): enough to recognise, not to call."""
    number = parse(stored)
    if number is None:
        return "[phone]"
    shown = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    prefix = f"+{number.country_code}"
    body = shown[len(prefix):]
    digits_seen, total = 0, sum(c.isdigit() for c in body)
    out = []
    for c in body:
        if c.isdigit():
            digits_seen += 1
            out.append(c if digits_seen > total - 3 else "*")
        else:
            out.append(c)
    return prefix + "".join(out)
