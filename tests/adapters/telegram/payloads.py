"""Real-format Telegram Bot API payloads (fields as documented at core.telegram.org/bots/api)."""
from __future__ import annotations

import json
import re
from typing import Any

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = "aduan-Webhook_s3cret"
STAFF_CHAT_ID = -1001234567890
BOT_USER = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Aduan Jakarta",
    "username": "AduanJktBot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
CITIZEN = {
    "id": 5550001,
    "is_bot": False,
    "first_name": "Siti",
    "last_name": "Rahmawati",
    "username": "siti_rhm",
    "language_code": "id",
}
EXPAT = {"id": 5550002, "is_bot": False, "first_name": "John", "username": "johnjkt", "language_code": "en-GB"}
OFFICER = {"id": 7770001, "is_bot": False, "first_name": "Budi", "username": "budi_dinas", "language_code": "id"}
DATE = 1718000000  # 2024-06-10T06:13:20Z

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def api_path(method: str) -> str:
    """Regex of a Bot API method path, as FakeAPI sees it."""
    return f"/bot{re.escape(TOKEN)}/{method}"


def file_path(path: str) -> str:
    return f"/file/bot{re.escape(TOKEN)}/{re.escape(path)}"


def ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def error(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def private_chat(user: dict[str, Any]) -> dict[str, Any]:
    chat = {"id": user["id"], "first_name": user["first_name"], "type": "private"}
    for key in ("last_name", "username"):
        if key in user:
            chat[key] = user[key]
    return chat


STAFF_CHAT = {"id": STAFF_CHAT_ID, "title": "Aduan Staf Kelurahan", "type": "supergroup"}
OTHER_GROUP = {"id": -987654321, "title": "Warga RT 05", "type": "group", "all_members_are_administrators": True}
CHANNEL = {"id": -1009999999999, "title": "Info Jakarta", "username": "infojkt", "type": "channel"}


def message(message_id: int, *, user: dict[str, Any] | None = CITIZEN, chat: dict[str, Any] | None = None, **content: Any) -> dict[str, Any]:
    msg: dict[str, Any] = {"message_id": message_id}
    if user is not None:
        msg["from"] = user
    msg["chat"] = chat if chat is not None else private_chat(user or CITIZEN)
    msg["date"] = DATE
    msg.update(content)
    return msg


def text_message(message_id: int, text: str, **kw: Any) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split()[0]
        content["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    return message(message_id, **content, **kw)


def update(update_id: int, **kind: Any) -> dict[str, Any]:
    return {"update_id": update_id, **kind}


def text_update(update_id: int, message_id: int, text: str, **kw: Any) -> dict[str, Any]:
    return update(update_id, message=text_message(message_id, text, **kw))


PHOTO_SIZES = [
    {"file_id": "AgACAgUAAxkBAAIBZ2Z-s", "file_unique_id": "AQADs7oxG-s", "file_size": 1_412, "width": 90, "height": 68},
    {"file_id": "AgACAgUAAxkBAAIBZ2Z-m", "file_unique_id": "AQADs7oxG-m", "file_size": 21_633, "width": 320, "height": 240},
    {"file_id": "AgACAgUAAxkBAAIBZ2Z-y", "file_unique_id": "AQADs7oxG-y", "file_size": 143_205, "width": 1280, "height": 960},
    {"file_id": "AgACAgUAAxkBAAIBZ2Z-x", "file_unique_id": "AQADs7oxG-x", "file_size": 80_019, "width": 800, "height": 600},
]
LARGEST = PHOTO_SIZES[2]


def photo_update(update_id: int, message_id: int, caption: str | None, sizes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"photo": sizes or PHOTO_SIZES}
    if caption is not None:
        content["caption"] = caption
    return update(update_id, message=message(message_id, **content))


def get_file_result(photo: dict[str, Any], path: str = "photos/file_7.jpg") -> dict[str, Any]:
    return ok({"file_id": photo["file_id"], "file_unique_id": photo["file_unique_id"], "file_size": photo["file_size"], "file_path": path})


def location_update(update_id: int, message_id: int, lat: float, lon: float) -> dict[str, Any]:
    return update(update_id, message=message(message_id, location={"latitude": lat, "longitude": lon}))


def venue_update(update_id: int, message_id: int) -> dict[str, Any]:
    loc = {"latitude": -6.175392, "longitude": 106.827153}
    venue = {"location": loc, "title": "Monumen Nasional", "address": "Gambir, Jakarta Pusat", "foursquare_id": "4b5bc6e4f964a520b51229e3"}
    return update(update_id, message=message(message_id, location=loc, venue=venue))


def edited_update(update_id: int, message_id: int, text: str) -> dict[str, Any]:
    msg = text_message(message_id, text)
    msg["edit_date"] = DATE + 120
    return update(update_id, edited_message=msg)


def body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def callback_update(update_id: int, query_id: str, data: str, *, user: dict[str, Any] = CITIZEN,
                    chat: dict[str, Any] | None = None) -> dict[str, Any]:
    """A press on an inline keyboard button under one of the bot's messages (a CallbackQuery)."""
    return update(update_id, callback_query={
        "id": query_id, "from": user, "chat_instance": "-8243245238212343", "data": data,
        "message": {**text_message(900, "Bagaimana penanganan laporan?", user=BOT_USER),
                    "chat": chat or private_chat(user)}})
