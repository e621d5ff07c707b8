"""Long polling: getUpdates, hand the batch to intake, THEN persist the offset.

Order per batch: messages become durable (``sink.submit``), staff updates go
to the staff handler, the next offset is persisted (``sink.set_state``), and
only then is getUpdates called again with that offset, which is what confirms
the batch to Telegram. A crash at any point repeats at most the last batch,
and the persisted offset makes the new process drop what it already has.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.error import RetryAfter

from adapters.contract.channel import IntakeSink
from adapters.telegram.backoff import Backoff, retry_after_seconds
from adapters.telegram.client import AduanBot
from adapters.telegram.parse import update_id_of
from adapters.telegram.processor import Processed, UpdateProcessor
from adapters.telegram.settings import TelegramSettings

log = logging.getLogger("adapters.telegram")

OFFSET_KEY = "telegram:offset"

Sleep = Callable[[float], Awaitable[object]]
StaffDispatch = Callable[[Processed], Awaitable[None]]


class PollingReceiver:
    """The getUpdates loop; runs until cancelled and survives provider errors."""

    def __init__(
        self,
        bot: AduanBot,
        processor: UpdateProcessor,
        sink: IntakeSink,
        settings: TelegramSettings,
        *,
        sleep: Sleep,
        staff_dispatch: StaffDispatch,
    ) -> None:
        self._bot = bot
        self._processor = processor
        self._sink = sink
        self._settings = settings
        self._sleep = sleep
        self._staff_dispatch = staff_dispatch
        self._backoff = Backoff(settings.poll_retry_initial, settings.poll_retry_max)
        self.offset: int | None = None
        self.consecutive_errors = 0
        self.last_error: str | None = None

    async def run(self) -> None:
        await self._retrying("deleteWebhook", self._delete_webhook)
        self.offset = await self._retrying("load offset", self._load_offset)
        log.info("telegram: long polling from offset %s", self.offset)
        while True:
            await self.poll_once()

    async def poll_once(self) -> None:
        """One getUpdates round; errors are logged and backed off, never raised."""
        batch = await self._fetch()
        if batch is None:
            return
        try:
            if batch:
                await self._deliver(batch)
        except Exception as exc:  # intake not available: poll the same batch again later
            await self._failed("intake", exc)
            return
        self._ok()  # only a full round resets the backoff

    async def _fetch(self) -> list[Any] | None:
        try:
            result = await self._bot.get_raw_updates(
                offset=self.offset,
                timeout=self._settings.poll_timeout,
                limit=self._settings.poll_limit,
                allowed_updates=self._settings.allowed_updates,
                read_timeout=self._settings.read_timeout,
            )
        except RetryAfter as exc:
            delay = retry_after_seconds(exc)
            self._note_error(exc)
            log.warning("telegram: getUpdates throttled; retrying in %.1fs", delay)
            await self._sleep(delay)
            return None
        except Exception as exc:  # network errors, 5xx, 409 Conflict, bad answers...
            await self._failed("getUpdates", exc)
            return None
        if not isinstance(result, list):
            await self._failed("getUpdates", TypeError("result is not a list"))
            return None
        return result

    async def _deliver(self, batch: list[Any]) -> None:
        fresh: list[Any] = []
        seen: set[int] = set()
        highest: int | None = None
        for item in batch:
            uid = update_id_of(item)
            if uid is not None:
                highest = uid if highest is None else max(highest, uid)
            if uid is not None and ((self.offset is not None and uid < self.offset) or uid in seen):
                log.info("telegram: dropping repeated update %s", uid)
                continue
            if uid is not None:
                seen.add(uid)
            fresh.append(item)

        results = [await self._processor.process(item) for item in fresh]
        messages = [m for r in results for m in r.messages]
        if messages:
            await self._sink.submit(messages)  # returns once durable
        for r in results:
            if r.staff_update is not None:
                await self._staff_dispatch(r)

        if highest is None:
            log.warning("telegram: a batch without any update_id; nothing to confirm")
            return
        next_offset = highest + 1 if self.offset is None else max(self.offset, highest + 1)
        if next_offset != self.offset:
            await self._retrying("save offset", lambda: self._sink.set_state(OFFSET_KEY, str(next_offset)))
            self.offset = next_offset

    async def _delete_webhook(self) -> None:
        # getUpdates answers 409 while a webhook is set (e.g. left by webhook mode).
        await self._bot.delete_webhook(drop_pending_updates=False)

    async def _load_offset(self) -> int | None:
        value = await self._sink.get_state(OFFSET_KEY)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            log.warning("telegram: ignoring stored offset that is not a number")
            return None

    async def _retrying(self, what: str, step: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``step`` until it succeeds, backing off between failures."""
        while True:
            try:
                result = await step()
            except RetryAfter as exc:
                self._note_error(exc)
                await self._sleep(retry_after_seconds(exc))
                continue
            except Exception as exc:
                await self._failed(what, exc)
                continue
            self._ok()
            return result

    async def _failed(self, what: str, exc: BaseException) -> None:
        self._note_error(exc)
        delay = self._backoff.next()
        # The class and message only: PTB messages hold no token, and no traceback
        # reaches the log with request URLs in it.
        log.warning("telegram: %s failed (%s: %s); retrying in %.1fs", what, type(exc).__name__, exc, delay)
        await self._sleep(delay)

    def _note_error(self, exc: BaseException) -> None:
        self.consecutive_errors += 1
        self.last_error = type(exc).__name__

    def _ok(self) -> None:
        self.consecutive_errors = 0
        self._backoff.reset()
