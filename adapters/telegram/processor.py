"""One JSON update in, the citizen message or staff update out (webhook and poller share it)."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, Update
from telegram.error import TelegramError

from adapters.contract.messages import InboundAttachment, InboundMessage
from adapters.telegram.parse import (
    MalformedUpdate,
    button_message,
    citizen_message,
    citizen_text_message,
    decode_update,
    photo_to_fetch,
    route,
)
from adapters.telegram.photos import PHOTO_DOWNLOAD_FAILED, PhotoFetcher, PhotoRejected

log = logging.getLogger("adapters.telegram")


@dataclass
class Processed:
    """What one update became. ``skipped`` names why nothing came of it."""

    update_id: int | None
    messages: list[InboundMessage] = field(default_factory=list)
    staff_update: Update | None = None
    skipped: str | None = None


class UpdateProcessor:
    """Decode, route, download the photo, build the InboundMessage."""

    def __init__(self, bot: Bot, photos: PhotoFetcher, staff_chat_id: int | None) -> None:
        self._bot = bot
        self._photos = photos
        self._staff_chat_id = staff_chat_id

    async def process(self, payload: Any, raw: str | None = None) -> Processed:
        """Never raises for bad input: a malformed update comes back ``skipped``."""
        try:
            update = decode_update(payload, self._bot)
        except MalformedUpdate as exc:
            uid = payload.get("update_id") if isinstance(payload, dict) else None
            # Log the shape problem, never the payload: it holds citizens' data.
            log.warning("telegram: skipping malformed update %r (%s)", uid, exc)
            return Processed(uid if isinstance(uid, int) else None, skipped="malformed")
        try:
            return await self._route(update, payload, raw)
        except Exception as exc:  # a payload PTB accepted but we could not handle
            log.warning("telegram: skipping update %s that failed to parse (%s: %s)", update.update_id, type(exc).__name__, exc)
            return Processed(update.update_id, skipped="malformed")

    async def _route(self, update: Update, payload: Any, raw: str | None) -> Processed:
        where = route(update, self._staff_chat_id)
        if where == "staff":
            return Processed(update.update_id, staff_update=update)
        if where == "ignored":
            log.debug("telegram: ignoring update %s (not a private chat message)", update.update_id)
            return Processed(update.update_id, skipped="ignored")
        if raw is None:
            raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        if where == "button":
            await self._answer(update)
            return Processed(update.update_id, messages=[button_message(update, raw)])
        attachments, errors = await self._photo(update)
        message = citizen_message(update, raw, attachments, errors)
        if message is None:
            return Processed(update.update_id, skipped="empty")
        return Processed(update.update_id, messages=[message])

    async def _answer(self, update: Update) -> None:
        """answerCallbackQuery: stops the button's spinner in the citizen's app. The press itself is
        answered in the chat (the core's reply), so a failure here (a query older than Telegram keeps,
        a redelivery) is only logged."""
        query = update.callback_query
        assert query is not None
        try:
            await self._bot.answer_callback_query(query.id)
        except TelegramError as exc:
            log.info("telegram: answerCallbackQuery for update %s failed (%s)", update.update_id, type(exc).__name__)

    async def _photo(self, update: Update) -> tuple[list[InboundAttachment], list[str]]:
        ref = photo_to_fetch(citizen_text_message(update), self._photos.max_bytes)
        if ref is None:
            return [], []
        try:
            return [await self._photos.fetch(ref.file_id, ref.unique_id, ref.size)], []
        except PhotoRejected as exc:
            # The caption still counts as a report; the core tells the citizen why.
            return [], [exc.reason]
        except Exception as exc:  # never lose the report over its photo
            log.warning("telegram: photo of update %s failed (%s: %s)", update.update_id, type(exc).__name__, exc)
            return [], [PHOTO_DOWNLOAD_FAILED]
