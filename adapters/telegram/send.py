"""Sending one message through the Bot API, and mapping PTB errors to typed send errors."""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError

from adapters.contract.errors import PermanentError, RecipientBlocked, SendError, Throttled, TransientError
from adapters.contract.messages import OutboundMessage
from adapters.telegram.backoff import retry_after_seconds

_CHAT_ID = re.compile(r"-?[0-9]{1,20}")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji can count 2)."""
    return len(text.encode("utf-16-le")) // 2


def cut_utf16(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` shortened to at most ``limit`` UTF-16 units, ending in an ellipsis if cut."""
    if utf16_len(text) <= limit:
        return text
    budget = limit - utf16_len(ellipsis)
    out, used = [], 0
    for ch in text:
        n = utf16_len(ch)
        if used + n > budget:
            break
        out.append(ch)
        used += n
    return "".join(out).rstrip() + ellipsis


def map_error(exc: TelegramError) -> SendError:
    """One typed error per PTB error; the dispatcher decides retries from the type."""
    if isinstance(exc, RetryAfter):
        return Throttled(str(exc), retry_after_seconds(exc))
    if isinstance(exc, Forbidden):
        # "bot was blocked by the user", "user is deactivated"...: unreachable.
        return RecipientBlocked(str(exc))
    if isinstance(exc, BadRequest):  # before NetworkError: PTB makes it a subclass
        return PermanentError(str(exc))
    if isinstance(exc, ChatMigrated):
        return PermanentError(f"chat migrated to {exc.new_chat_id}")
    if isinstance(exc, NetworkError):  # includes TimedOut and 5xx answers
        return TransientError(str(exc))
    # InvalidToken (401/404: a configuration problem), Conflict, bad JSON answers:
    # the message itself is fine, so let the outbox retry and dead-letter it.
    return TransientError(f"{type(exc).__name__}: {exc}")


def _chat_id(message: OutboundMessage) -> int:
    # Chat ids are plain integers; "+62..." would parse as int but is a phone number.
    recipient = (message.recipient or "").strip()
    if not _CHAT_ID.fullmatch(recipient):
        raise PermanentError("recipient is not a Telegram chat id")
    return int(recipient)


async def _read_photo(path: str, max_bytes: int) -> tuple[bytes, str]:
    """The photo's bytes, read off the loop thread."""
    p = Path(path)
    try:
        data = await asyncio.to_thread(p.read_bytes)
    except OSError as exc:
        raise PermanentError(f"cannot read photo: {exc.strerror}") from exc
    if len(data) > max_bytes:
        # The core's photo->link fallback should have caught this already.
        raise PermanentError("photo too large for sendPhoto")
    return data, p.name


CALLBACK_DATA_MAX = 64  # bytes: https://core.telegram.org/bots/api#inlinekeyboardbutton


def keyboard(message: OutboundMessage) -> InlineKeyboardMarkup | None:
    """``payload["buttons"]`` as one row of inline keyboard buttons; a press sends back the button's text
    as callback_data (parsed by adapters.telegram.parse.button_message)."""
    buttons = [b for b in message.payload.get("buttons") or []
               if isinstance(b, dict) and b.get("label") and b.get("text")
               and len(str(b["text"]).encode()) <= CALLBACK_DATA_MAX]
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(str(b["label"]), callback_data=str(b["text"]))
                                  for b in buttons]])


async def send_one(bot: Bot, message: OutboundMessage, *, caption_max: int, max_photo_bytes: int) -> str:
    """Send text, or a photo with the text as its caption; return "<chat_id>:<message_id>".

    Telegram message ids are unique only within a chat, so the chat id is part
    of the provider id (the same form as inbound external ids).
    """
    chat_id = _chat_id(message)
    try:
        if message.media_path:
            data, filename = await _read_photo(message.media_path, max_photo_bytes)
            sent = await bot.send_photo(
                chat_id=chat_id, photo=data, filename=filename, caption=cut_utf16(message.text, caption_max) or None
            )
        elif message.media_url:
            # Telegram fetches the URL itself.
            sent = await bot.send_photo(
                chat_id=chat_id, photo=message.media_url, caption=cut_utf16(message.text, caption_max) or None
            )
        else:
            # Plain text, no parse_mode: citizen-provided text is never interpreted as markup.
            sent = await bot.send_message(chat_id=chat_id, text=message.text, reply_markup=keyboard(message))
    except TelegramError as exc:
        raise map_error(exc) from exc
    return f"{chat_id}:{sent.message_id}"
