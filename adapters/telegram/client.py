"""Building the python-telegram-bot client, pointed at the configured Bot API.

A plain ``telegram.Bot`` (not ``ExtBot``): no PTB rate limiter and no PTB
retries, because the core's outbox does retries and rate limiting once.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import Bot
from telegram.request import HTTPXRequest

from adapters.telegram.settings import TelegramSettings


class AduanBot(Bot):
    """``Bot`` plus a getUpdates that returns the raw JSON list.

    ``Bot.get_updates`` parses the whole batch at once, so one malformed update
    fails all of them (and PTB logs the whole payload). The poller parses each
    update on its own instead.
    """

    __slots__ = ()

    async def get_raw_updates(
        self,
        *,
        offset: int | None,
        timeout: int,
        limit: int,
        allowed_updates: Sequence[str],
        read_timeout: float,
    ) -> Any:
        data = {
            "offset": offset,
            "timeout": timeout,
            "limit": limit,
            "allowed_updates": list(allowed_updates),
        }
        # Long polling holds the request open for ``timeout`` seconds.
        return await self._post("getUpdates", data, read_timeout=read_timeout + timeout)


def _request(settings: TelegramSettings, pool_size: int) -> HTTPXRequest:
    return HTTPXRequest(
        connection_pool_size=pool_size,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        write_timeout=settings.write_timeout,
        media_write_timeout=settings.media_write_timeout,
    )


def build_bot(settings: TelegramSettings) -> AduanBot:
    """A Bot with its own HTTP pools, talking to ``settings.api_base_url``."""
    return AduanBot(
        token=settings.bot_token.get_secret_value(),
        base_url=settings.bot_base_url,
        base_file_url=settings.file_base_url,
        request=_request(settings, settings.connection_pool_size),
        # getUpdates gets its own single connection so a long poll never
        # starves sends of a connection.
        get_updates_request=_request(settings, 1),
        local_mode=settings.local_mode,
    )
