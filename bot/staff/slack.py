"""The Slack desk: slash commands, thread photos, and the thread store the adapter uses.

Slack wants an answer within 3 seconds. A command is parsed and checked at
once (usage texts and unknown users are answered immediately); anything
that touches the database runs in a background task that answers through
the command's ``response_url``. Event callbacks are deduplicated by
``event_id`` in the database (``staff_dedup``), so Slack's retries never act
twice, even across restarts, and are then worked in the background too.

Only photos are taken from threads: a file shared in a ticket's thread is
stored as an officer's photo, or, with the words ``selesai``/``done``, submitted
as the proof. Any other thread text stays in Slack and never reaches a citizen.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Coroutine

from adapters.contract.errors import FileFetchError
from bot.staff import notify
from bot.staff.commands import CommandSyntaxError, StaffCommand, parse_staff_command, unslack
from bot.tracking import normalize
from store import repo

from bot.staff.desk import Desk

log = logging.getLogger(__name__)

MAX_FILES_PER_MESSAGE = 3
_PROOF_WORDS = {"selesai", "done"}
_FILE_ERRORS = {"too_large": "staff_photo_too_large", "not_allowed": "staff_photo_download_failed",
                "download_failed": "staff_photo_download_failed"}


class SlackDesk(Desk):
    """The staff side of the Slack adapter (its ``handler`` and ``threads``)."""

    # The Slack adapter (adapters/slack), seen through what the desk uses of it: it parses its own
    # payloads and files, so this module needs no import of the channel package.
    adapter: Any

    def __init__(self, **parts: Any) -> None:
        super().__init__(**parts)
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- background work -------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(self._guard(coro, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guard(coro: Coroutine[Any, Any, Any], name: str) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - logged; the officer is told where possible
            log.exception("slack background task %s failed", name)

    async def drain(self) -> None:
        """Wait for every background task (tests; graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self, grace: float = 10.0) -> None:
        if not self._tasks:
            return
        done, pending = await asyncio.wait(list(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # -- slash commands --------------------------------------------------

    async def on_command(self, command: Any) -> str:
        """The immediate (ephemeral) answer; the work itself answers through response_url."""
        member = await self.directory.by_slack(command.user_id)
        if member is None:
            log.info("slack: command from a user not in the staff directory")
            return self.engine.unknown_user()
        lang = self.engine.language(member)
        if command.command != self.adapter.settings.command:
            return self.engine.render(lang, "staff_unknown_command", given=command.command[:40]) + "\n" + \
                self.engine.help(lang)
        try:
            parsed = parse_staff_command(command.text, prefix=self.engine.prefix)
        except CommandSyntaxError as err:
            return self.engine.syntax_error(member, err)
        if parsed.name == "bantuan":
            return self.engine.help(lang)
        self._spawn(self._run(member, parsed, command.response_url), f"slack-command-{parsed.name}")
        return self.engine.render(lang, "staff_ack", command=self.engine.command_name(parsed.name, lang),
                                  tracking_id=parsed.tracking_id or "")

    async def _run(self, member: Any, parsed: StaffCommand, response_url: str) -> None:
        text = await self.engine.execute(member, parsed, origin="slack")
        if not await self.adapter.respond(response_url, text):
            log.warning("slack: the answer to %s by %s could not be delivered", parsed.name, member.code)

    # -- events ----------------------------------------------------------

    async def on_event(self, event: Any) -> None:
        """Take an event once (by event_id, persisted), then work it in the background."""
        if event.retry_num:
            log.info("slack: event %s retried (%d)", event.event_id, event.retry_num)
        if not await self.db.write(notify.claim, f"slack:event:{event.event_id}", self.clock.now()):
            log.info("slack: event %s already taken", event.event_id)
            return
        if event.bot:
            return  # our own posts coming back
        if event.type == "message" and event.files and event.subtype in (None, "file_share"):
            self._spawn(self._files(event, event.files, event.text, event.channel, event.thread_ts),
                        "slack-thread-files")
        elif event.type == "file_shared" and event.file_id and event.channel:
            self._spawn(self._file_shared(event), "slack-file-shared")

    async def _file_shared(self, event: Any) -> None:
        shared = await self.adapter.shared_file(event.file_id or "", event.channel or "")
        if shared is not None:
            file, thread_ts = shared
            await self._files(event, [file], "", event.channel, thread_ts)

    def _proof_words(self, text: str) -> tuple[bool, str | None, str]:
        """("selesai"/"done" said?, a tracking ID typed after it, the note)."""
        words = text.strip().split(None, 1)
        if words and words[0].lower() == "/aduan":
            words = (words[1] if len(words) > 1 else "").split(None, 1)
        if not words or words[0].lower().rstrip(":,.!") not in _PROOF_WORDS:
            return False, None, ""
        rest = words[1] if len(words) > 1 else ""
        first, _, after = rest.partition(" ")
        tid = normalize(unslack(first), self.engine.prefix) if first else None
        return True, tid, (after if tid else rest).strip()

    async def _files(self, event: Any, files: list[Any], text: str, channel: str | None,
                     thread_ts: str | None) -> None:
        if not channel:
            return
        wants_proof, typed_id, note = self._proof_words(text)
        ticket = None
        ticket_id = await self.db.read(notify.ticket_for_thread, channel, thread_ts) if thread_ts else None
        if ticket_id is not None:
            ticket = await self.db.read(repo.ticket_by_id, ticket_id)
        elif typed_id:
            ticket = await self.db.read(repo.ticket_by_tracking_id, typed_id)
        if ticket is None:
            return  # a photo that is not about a ticket
        tracking_id = ticket["tracking_id"]
        reply_ts = thread_ts or event.ts
        member = await self.directory.by_slack(event.user or "")
        if member is None:
            await self._notice(channel, reply_ts, self.engine.unknown_user())
            return
        command = StaffCommand("selesai" if wants_proof else "foto", tracking_id, text=note)
        if self.directory.may_run(member, command.name) or self.directory.may_touch(member, ticket):
            # Refused (and audited) without downloading anything.
            await self._notice(channel, reply_ts, await self.engine.execute(member, command, origin="slack"))
            return
        photos: list[bytes] = []
        error: str | None = None
        for f in files[:MAX_FILES_PER_MESSAGE]:
            if f.mimetype and not f.mimetype.startswith("image/"):
                error = "staff_photo_not_image"
                continue
            if not await self.db.write(notify.claim, f"slack:file:{f.id}", self.clock.now()):
                continue  # already taken from the other event (message / file_shared)
            try:
                photos.append(await self.adapter.fetch_file(f))
            except FileFetchError as exc:
                log.warning("slack: file %s not taken (%s)", f.id, exc.reason)
                error = _FILE_ERRORS.get(exc.reason, "staff_photo_download_failed")
        if wants_proof:
            answer = await self.engine.execute(member, command, origin="slack", photo=photos[0] if photos else None,
                                               photo_error=error if not photos else None)
            await self._notice(channel, reply_ts, answer)
            return
        for content in photos:
            answer = await self.engine.add_photo(member, tracking_id, content, origin="slack")
            if answer:
                await self._notice(channel, reply_ts, answer)
        if error and not photos:
            await self._notice(channel, reply_ts, self.engine.render(self.engine.language(member), error))

    async def _notice(self, channel: str, thread_ts: str | None, text: str) -> None:
        await self.db.write(notify.queue_thread_notice, self.clock.now(), channel, thread_ts, text)
        self.wake()

    # -- the adapter's thread store --------------------------------------

    async def resolve_thread(self, ticket_id: int) -> tuple[str, str] | str | None:
        return await self.db.write(notify.resolve_thread, ticket_id, self.clock.now())

    async def record_root(self, ticket_id: int, channel: str, ts: str) -> None:
        await self.db.write(notify.record_root, ticket_id, channel, ts, self.clock.now())
