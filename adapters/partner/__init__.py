"""The partner-app channel (JAKI, Qlue...): JSON reports in, signed callbacks out."""
from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.contract.lazy import lazy_exports
from adapters.partner.settings import PartnerChannelConfig, PartnerConfig
from adapters.partner.spec import SPEC

if TYPE_CHECKING:
    from adapters.partner.adapter import MAX_TEXT, PartnerAdapter, PartnerReport, sign_callback

# The adapter module imports the provider SDK: only when a gateway builds it (adapters/contract/lazy.py).
__getattr__ = lazy_exports(__name__, "adapters.partner.adapter", ("MAX_TEXT", "PartnerAdapter", "PartnerReport", "sign_callback"))

__all__ = ["MAX_TEXT", "SPEC", "PartnerAdapter", "PartnerChannelConfig", "PartnerConfig", "PartnerReport",
           "sign_callback"]
