"""Twilio adapter: SMS 1708 / 08111272206 and WhatsApp (channels "sms" and "whatsapp")."""
from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.contract.lazy import lazy_exports
from adapters.twilio.settings import TwilioNumber, TwilioSettings
from adapters.twilio.spec import SPEC

if TYPE_CHECKING:
    from adapters.twilio.adapter import TwilioAdapter

# The adapter module imports the provider SDK: only when a gateway builds it (adapters/contract/lazy.py).
__getattr__ = lazy_exports(__name__, "adapters.twilio.adapter", ("TwilioAdapter",))

__all__ = ["SPEC", "TwilioAdapter", "TwilioNumber", "TwilioSettings"]
