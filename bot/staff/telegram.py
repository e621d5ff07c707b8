"""The Telegram staff group: the same commands as Slack, from authorised officers.

``/aduan lihat JKT-...`` or the subcommand itself (``/lihat JKT-...``,
``/done JKT-...``; ``/lihat@AduanJktBot`` in groups with several bots). A photo
captioned ``/selesai <id> [note]`` is the proof (downloaded with the bot's
``get_file``). Answers go to the group through the outbox (channel
"telegram", recipient the group's chat id), so they are retried like every
other message; the group is the officers' own, so answers are shown there.
Other chatter in the group is ignored.
"""
from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError

from bot.outbox import enqueue
from bot.staff.commands import ALIASES, CommandSyntaxError, parse_staff_command

from bot.staff.desk import Desk

log = logging.getLogger(__name__)


def split_command(text: str, bot_username: str | None) -> tuple[str, str] | None:
    """("lihat", "JKT-...") from "/lihat@Bot JKT-..."; None for text that is not our command."""
    text = (text or "").strip()
    if not text.startswith("/"):
        return None
    parts = text.split(None, 1)
    name, _, target = parts[0][1:].partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None  # a command for another bot in the group
    return name.lower(), parts[1] if len(parts) > 1 else ""


class TelegramDesk(Desk):
    """The Telegram adapter's ``staff_handler``."""

    def _bot_username(self) -> str | None:
        try:
            return self.adapter.bot.username
        except Exception:  # noqa: BLE001 - not started
            return None

    async def handle_update(self, update: Update) -> None:
        msg = update.message  # edits of old commands are not run again
        if msg is None or msg.from_user is None or msg.from_user.is_bot:
            return
        split = split_command(msg.text or msg.caption or "", self._bot_username())
        if split is None:
            return
        name, rest = split
        if name == "aduan":
            body = rest
        elif name in ALIASES:
            body = f"{name} {rest}"
        else:
            return  # someone else's command
        chat_id = msg.chat.id
        member = await self.directory.by_telegram(msg.from_user.id)
        if member is None:
            log.info("telegram: staff command from a user not in the staff directory")
            await self._answer(chat_id, self.engine.unknown_user())
            return
        try:
            parsed = parse_staff_command(body, prefix=self.engine.prefix)
        except CommandSyntaxError as err:
            await self._answer(chat_id, self.engine.syntax_error(member, err))
            return
        photo, error = None, None
        if parsed.name == "selesai":
            photo, error = await self._photo(msg)
        answer = await self.engine.execute(member, parsed, origin="telegram", photo=photo, photo_error=error)
        await self._answer(chat_id, answer)

    async def _photo(self, msg: Any) -> tuple[bytes | None, str | None]:
        limit = self.engine.proofs.max_bytes
        ref = self.adapter.photo_to_fetch(msg, limit)  # the adapter reads its own payloads
        if ref is None:
            return None, None
        if ref.size is not None and ref.size > limit:
            return None, "staff_photo_too_large"
        try:
            tg_file = await self.adapter.bot.get_file(ref.file_id)
            if tg_file.file_size is not None and tg_file.file_size > limit:
                return None, "staff_photo_too_large"
            return bytes(await tg_file.download_as_bytearray()), None
        except (TelegramError, RuntimeError) as exc:
            log.warning("telegram: proof photo download failed (%s)", type(exc).__name__)
            return None, "staff_photo_download_failed"

    async def _answer(self, chat_id: int, text: str) -> None:
        await self.db.write(lambda c: enqueue(c, self.clock.now(), channel="telegram", recipient=str(chat_id),
                                              text=text, kind="staff_answer"))
        self.wake()
