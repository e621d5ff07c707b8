"""The Telegram channel (python-telegram-bot 22)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.contract.lazy import lazy_exports
from adapters.telegram.settings import TelegramSettings
from adapters.telegram.spec import SPEC

if TYPE_CHECKING:
    from adapters.telegram.adapter import TELEGRAM_CAPABILITIES, WEBHOOK_PATH, TelegramAdapter

# The adapter module imports the provider SDK: only when a gateway builds it (adapters/contract/lazy.py).
__getattr__ = lazy_exports(__name__, "adapters.telegram.adapter", ("TELEGRAM_CAPABILITIES", "WEBHOOK_PATH", "TelegramAdapter"))

__all__ = ["SPEC", "TELEGRAM_CAPABILITIES", "WEBHOOK_PATH", "TelegramAdapter", "TelegramSettings"]
