"""The Telegram channel (python-telegram-bot 22)."""
from __future__ import annotations

from adapters.telegram.adapter import TELEGRAM_CAPABILITIES, WEBHOOK_PATH, TelegramAdapter
from adapters.telegram.settings import TelegramSettings
from adapters.telegram.spec import SPEC

__all__ = ["SPEC", "TELEGRAM_CAPABILITIES", "WEBHOOK_PATH", "TelegramAdapter", "TelegramSettings"]
