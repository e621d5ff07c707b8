"""Twilio adapter: SMS 1708 / 08111272206 and WhatsApp (channels "sms" and "whatsapp")."""
from __future__ import annotations

from adapters.twilio.adapter import TwilioAdapter
from adapters.twilio.settings import TwilioNumber, TwilioSettings
from adapters.twilio.spec import SPEC

__all__ = ["SPEC", "TwilioAdapter", "TwilioNumber", "TwilioSettings"]
