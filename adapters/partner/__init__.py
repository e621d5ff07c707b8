"""The partner-app channel (JAKI, Qlue...): JSON reports in, signed callbacks out."""
from __future__ import annotations

from adapters.partner.adapter import MAX_TEXT, PartnerAdapter, PartnerReport, sign_callback
from adapters.partner.settings import PartnerChannelConfig, PartnerConfig
from adapters.partner.spec import SPEC

__all__ = ["MAX_TEXT", "SPEC", "PartnerAdapter", "PartnerChannelConfig", "PartnerConfig", "PartnerReport",
           "sign_callback"]
