"""From Telegram Update JSON to what the core understands.

Pure functions, no I/O: ``decode_update`` turns one JSON update into a PTB
``Update``, ``route`` says who it is for, ``photo_to_fetch`` names the file to
download and ``citizen_message`` builds the ``InboundMessage``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from telegram import Bot, Message, Update
from telegram.constants import ChatType, MessageAttachmentType

from adapters.contract.messages import InboundAttachment, InboundMessage

CHANNEL = "telegram"

Route = Literal["citizen", "button", "staff", "ignored"]


class MalformedUpdate(ValueError):
    """The JSON is not an update PTB can parse."""


def update_id_of(payload: Any) -> int | None:
    """The integer update_id of a JSON update, or None."""
    if isinstance(payload, dict):
        value = payload.get("update_id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def decode_update(payload: Any, bot: Bot) -> Update:
    """``Update.de_json`` that raises only MalformedUpdate."""
    if update_id_of(payload) is None:
        raise MalformedUpdate("not an object with an integer update_id")
    try:
        update = Update.de_json(payload, bot)
    except Exception as exc:  # PTB raises KeyError/TypeError/AttributeError on bad shapes
        raise MalformedUpdate(f"{type(exc).__name__}: {exc}") from exc
    if update is None:
        raise MalformedUpdate("empty update")
    return update


def route(update: Update, staff_chat_id: int | None) -> Route:
    """Citizens talk in private chats; the staff group goes to the staff handler."""
    chat = update.effective_chat
    if chat is None:
        return "ignored"  # inline queries, polls... nothing a citizen reports with
    if staff_chat_id is not None and chat.id == staff_chat_id:
        return "staff"
    if chat.type != ChatType.PRIVATE:
        return "ignored"  # other groups, supergroups and channels
    if update.message is not None or update.edited_message is not None:
        return "citizen"
    if update.callback_query is not None and update.callback_query.data:
        return "button"  # a press on one of our inline keyboard buttons (e.g. a rating 1..5)
    return "ignored"


def button_message(update: Update, raw: str) -> InboundMessage:
    """A press on an inline keyboard button as the citizen's message: its ``callback_data`` is the text
    the button stands for (``NILAI JKT-... 4``). The callback query id is the idempotency key, so a
    redelivered update counts once.

    https://core.telegram.org/bots/api#callbackquery
    """
    query = update.callback_query
    assert query is not None and query.data  # route() said "button"
    chat = update.effective_chat
    assert chat is not None
    user = query.from_user
    code = (user.language_code if user else None) or ""
    reply_context: dict[str, Any] = {"chat_id": chat.id, "callback_query_id": query.id}
    if query.message is not None:
        reply_context["message_id"] = query.message.message_id
    return InboundMessage(
        channel=CHANNEL,
        external_id=f"callback:{query.id}",
        sender=str(chat.id),
        text=str(query.data),
        sender_name=user.first_name if user else None,
        language="en" if code.lower().startswith("en") else "id",
        reply_context=reply_context,
        raw=raw,
    )


@dataclass(frozen=True)
class PhotoRef:
    """The file to download for a message's photo."""

    file_id: str
    unique_id: str
    size: int | None


def citizen_text_message(update: Update) -> Message:
    msg = update.message or update.edited_message
    assert msg is not None  # route() said "citizen"
    return msg


def photo_to_fetch(msg: Message, max_bytes: int | None = None) -> PhotoRef | None:
    """The largest photo size (within ``max_bytes`` if one fits), or an image sent as a document.

    When even the smallest size is over the limit the largest is returned, and
    its declared size makes the fetcher refuse it without downloading.
    """
    if msg.photo:
        sizes = sorted(msg.photo, key=lambda p: (p.width * p.height, p.file_size or 0), reverse=True)
        fitting = [p for p in sizes if max_bytes is None or p.file_size is None or p.file_size <= max_bytes]
        best = (fitting or sizes)[0]
        return PhotoRef(best.file_id, best.file_unique_id, best.file_size)
    doc = msg.document
    if doc is not None and msg.animation is None and (doc.mime_type or "").startswith("image/"):
        return PhotoRef(doc.file_id, doc.file_unique_id, doc.file_size)
    return None


def unsupported_content(msg: Message) -> str | None:
    """The kind of an attachment we cannot take (voice, sticker...), if any."""
    if photo_to_fetch(msg) is not None:
        return None
    for kind in MessageAttachmentType:
        if kind.value in (MessageAttachmentType.LOCATION, MessageAttachmentType.VENUE, MessageAttachmentType.PHOTO):
            continue
        if getattr(msg, kind.value, None):
            return kind.value
    return None


def _language(msg: Message) -> str:
    code = (msg.from_user.language_code if msg.from_user else None) or ""
    return "en" if code.lower().startswith("en") else "id"


def citizen_message(
    update: Update,
    raw: str,
    attachments: list[InboundAttachment],
    media_errors: list[str],
) -> InboundMessage | None:
    """The normalised message for a private-chat message or edit; None if empty."""
    msg = citizen_text_message(update)
    is_edit = update.edited_message is not None
    own_text = msg.text or msg.caption or ""
    text = own_text
    latitude = longitude = None
    if msg.venue is not None:
        latitude, longitude = msg.venue.location.latitude, msg.venue.location.longitude
        venue_text = ", ".join(p for p in (msg.venue.title, msg.venue.address) if p)
        text = f"{text}\n{venue_text}".strip() if text else venue_text
    elif msg.location is not None:
        latitude, longitude = msg.location.latitude, msg.location.longitude

    errors = list(media_errors)
    kind = unsupported_content(msg)
    if kind is not None:
        errors.append(f"unsupported_content:{kind}")
    has_photo = photo_to_fetch(msg) is not None
    if not (text or latitude is not None or has_photo or errors):
        return None  # service messages and the like: nothing to report

    reply_context: dict[str, Any] = {"chat_id": msg.chat.id, "message_id": msg.message_id}
    if errors:
        reply_context["media_errors"] = errors
    when: datetime | None = (msg.edit_date if is_edit else None) or msg.date
    return InboundMessage(
        channel=CHANNEL,
        external_id=f"{msg.chat.id}:{msg.message_id}",
        sender=str(msg.chat.id),
        text=text,
        # First name only: a username is public and must never reach a public reply.
        sender_name=msg.from_user.first_name if msg.from_user else None,
        attachments=attachments,
        latitude=latitude,
        longitude=longitude,
        received_at=when,
        language=_language(msg),
        reply_context=reply_context,
        raw=raw,
        is_edit=is_edit,
        is_location_only=latitude is not None and not own_text and not has_photo,
    )
