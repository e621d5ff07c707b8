"""The Telegram channel as data (citizens' private chats and the officers' staff group)."""
from __future__ import annotations

import re

from adapters.contract import BuildDeps, ChannelAdapter, ChannelSpec
from adapters.telegram.settings import TelegramSettings

# python-telegram-bot puts the token in every request URL and httpx logs each URL at INFO; PTB also
# logs its base URLs at DEBUG. Each logger that writes such a record carries the redaction filter
# (the settings' secrets, token and webhook secret, are masked by the default ``log_secrets``).
WATCHED_LOGGERS = ("httpx", "telegram", "telegram.Bot", "telegram.ext.ExtBot", "telegram.request.BaseRequest",
                   "telegram.request.HTTPXRequest", "adapters.telegram")
# Any bot token in an API URL, also percent-encoded (%3A), even one not in this config.
TOKEN_PATTERN = (re.compile(r"bot\d{5,}(?::|%3A)[A-Za-z0-9_-]{20,}"), "bot***")


def build(settings: TelegramSettings, deps: BuildDeps) -> tuple[ChannelAdapter, list[str]]:
    from adapters.telegram.adapter import WEBHOOK_PATH, TelegramAdapter

    return TelegramAdapter(settings), [WEBHOOK_PATH]


SPEC = ChannelSpec(name="telegram", settings_model=TelegramSettings, build=build, log_patterns=(TOKEN_PATTERN,),
                   quiet_loggers=("telegram",), watched_loggers=WATCHED_LOGGERS,
                   staff_desk="bot.staff.telegram:TelegramDesk")
