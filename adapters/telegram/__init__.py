"""The Telegram channel (python-telegram-bot 22)."""
from __future__ import annotations

from adapters.telegram.adapter import TELEGRAM_CAPABILITIES, TelegramAdapter
from adapters.telegram.settings import TelegramSettings

__all__ = ["TELEGRAM_CAPABILITIES", "TelegramAdapter", "TelegramSettings"]
