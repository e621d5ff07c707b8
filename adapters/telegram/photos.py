"""Downloading a citizen's photo: size checks first, then getFile + download."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from adapters.contract.media import EXTENSIONS, sniff_image_type
from adapters.contract.messages import InboundAttachment
from adapters.telegram.backoff import Backoff, retry_after_seconds

log = logging.getLogger("adapters.telegram")

# Reasons put in InboundMessage.reply_context["media_errors"].
PHOTO_TOO_LARGE = "photo_too_large"
PHOTO_NOT_AN_IMAGE = "photo_not_an_image"
PHOTO_DOWNLOAD_FAILED = "photo_download_failed"


class PhotoRejected(Exception):
    """The photo cannot be attached; ``reason`` is one of the constants above."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _transient(exc: TelegramError) -> bool:
    # BadRequest subclasses NetworkError in PTB but will not get better by retrying.
    return isinstance(exc, RetryAfter) or (isinstance(exc, NetworkError) and not isinstance(exc, BadRequest))


class PhotoFetcher:
    """Fetch one photo by file_id, bounded in size, attempts and type."""

    def __init__(
        self,
        bot: Bot,
        *,
        max_bytes: int,
        attempts: int,
        sleep: Callable[[float], Awaitable[object]],
        backoff: Backoff,
    ) -> None:
        self._bot = bot
        self.max_bytes = max_bytes
        self._attempts = attempts
        self._sleep = sleep
        self._backoff = backoff

    async def fetch(self, file_id: str, unique_id: str, declared_size: int | None) -> InboundAttachment:
        """The downloaded image, or PhotoRejected; never downloads an oversized file."""
        if declared_size is not None and declared_size > self.max_bytes:
            raise PhotoRejected(PHOTO_TOO_LARGE)
        data = await self._download(file_id)
        if len(data) > self.max_bytes:  # file_size is optional and may be absent
            raise PhotoRejected(PHOTO_TOO_LARGE)
        content_type = sniff_image_type(data)
        if content_type is None:
            raise PhotoRejected(PHOTO_NOT_AN_IMAGE)
        return InboundAttachment(data, content_type, f"telegram-{unique_id}{EXTENSIONS[content_type]}")

    async def _download(self, file_id: str) -> bytes:
        backoff = self._backoff.fresh()
        for attempt in range(1, self._attempts + 1):
            try:
                tg_file = await self._bot.get_file(file_id)
                if tg_file.file_size is not None and tg_file.file_size > self.max_bytes:
                    raise PhotoRejected(PHOTO_TOO_LARGE)
                return bytes(await tg_file.download_as_bytearray())
            except TelegramError as exc:
                if not _transient(exc) or attempt == self._attempts:
                    log.warning("telegram photo download failed (%s: %s)", type(exc).__name__, exc)
                    raise PhotoRejected(PHOTO_DOWNLOAD_FAILED) from exc
                delay = retry_after_seconds(exc) if isinstance(exc, RetryAfter) else backoff.next()
                log.info("telegram photo download attempt %d failed (%s); retrying in %.1fs", attempt, type(exc).__name__, delay)
                await self._sleep(delay)
            except RuntimeError as exc:  # PTB: the File has no file_path
                log.warning("telegram photo has no file path: %s", exc)
                raise PhotoRejected(PHOTO_DOWNLOAD_FAILED) from exc
        raise PhotoRejected(PHOTO_DOWNLOAD_FAILED)  # not reached: attempts >= 1
