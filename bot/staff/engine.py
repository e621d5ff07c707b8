"""The officers' command engine: authorise, run, audit, one transaction per command.

Channel-neutral: Slack, the Telegram staff group and the web console
call ``StaffEngine.execute(member, command, origin=...)`` and show the text
it returns (the web console calls ``run``, which also says whether it was done).
Every action is checked against the staff directory (role from
the command's declaration, and scope; a refusal says why, and a refusal on a
ticket is itself audited) and recorded as a TicketEvent with actor
``staff:<code>``. The commands themselves are one module each under
``bot.staff.commands``; the engine also gives them the shared services
(texts, labels, the ticket thread) through ``CommandContext.staff``.
"""
from __future__ import annotations

import inspect
import logging
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import Connection

from bot.clock import Clock
from bot.config import AppConfig
from bot.lifecycle import TransitionError
from bot.outbox import OutboxPolicy
from bot.staff import notify
from bot.staff.commands import BY_NAME, CommandContext, CommandSyntaxError, StaffCommand, help_text
from bot.staff.commands.base import INTAKE, NO_DATA, READ, Command, Reply
from bot.staff.directory import Refusal, StaffDirectory, StaffMember
from bot.staff.proof import PhotoError, ProofPhoto, ProofStore
from bot.templates import TemplateError, Templates
from store import repo
from store import staff as store_staff
from store.db import Database

log = logging.getLogger(__name__)


class StaffEngine:
    """Runs declared commands (``bot.staff.commands.catalog``) for officers; the services they share."""

    def __init__(self, *, db: Database, clock: Clock, config: AppConfig, templates: Templates, policy: OutboxPolicy,
                 directory: StaffDirectory, proofs: ProofStore, intake: Any,
                 wake: Callable[[], None] = lambda: None) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.templates = templates
        self.policy = policy
        self.directory = directory
        self.proofs = proofs
        self.intake = intake
        self.wake = wake
        self.prefix = config.instance.tracking_prefix
        self.timezone = config.instance.timezone
        self.categories = {c.code: c for c in config.categories}

    # -- texts -----------------------------------------------------------

    def language(self, member: StaffMember | None) -> str:
        return self.templates.language((member.language if member else None) or self.config.instance.default_language)

    def render(self, lang: str, key: str, **fields: Any) -> str:
        return self.templates.render(key, lang, **fields)

    def has(self, key: str) -> bool:
        try:
            self.templates.render(key, None)
        except TemplateError as exc:
            return "has no value" in str(exc)
        return True

    def command_name(self, name: str, lang: str) -> str:
        command = BY_NAME.get(name)
        return command.english if command is not None and lang == "en" else name

    def help(self, lang: str) -> str:
        # The shipped staff_help equals help_text(lang) (tests/staff/test_command_docs.py); an operator may reword it.
        return self.render(lang, "staff_help") if self.has("staff_help") else help_text(lang)

    def usage(self, lang: str, command: str) -> str:
        key = f"staff_usage_{command.replace('-', '_')}"
        return self.render(lang, key) if self.has(key) else self.help(lang)

    def syntax_error(self, member: StaffMember | None, err: CommandSyntaxError) -> str:
        """What a malformed command gets: the reason and the usage of that command."""
        lang = self.language(member)
        if err.key == "staff_unknown_command":
            return self.render(lang, "staff_unknown_command", **err.fields) + "\n" + self.help(lang)
        usage = self.usage(lang, err.command) if err.command else self.help(lang)
        if err.key == "staff_usage_error":
            return usage
        return self.render(lang, err.key, **err.fields) + "\n" + usage

    def refusal(self, lang: str, refusal: Refusal) -> str:
        fields = dict(refusal.fields)
        if "command" in fields:
            fields["command"] = self.command_name(fields["command"], lang)
        return self.render(lang, refusal.key, **fields)

    def unknown_user(self) -> str:
        return self.render(self.config.instance.default_language, "staff_unknown_user")

    def label(self, status: str, lang: str) -> str:
        return self.templates.status_label(status, lang)

    def category(self, code: str, lang: str) -> str:
        c = self.categories.get(code)
        return (c.name_en if lang == "en" else c.name_id) if c else code

    def agency(self, code: str | None) -> str:
        return self.directory.agency_names.get(code or "", code or "-")

    @staticmethod
    def staff_label(conn: Connection, code: str) -> str:
        name = store_staff.staff_name(conn, code)
        return f"{name} ({code})" if name else code

    def time(self, value: datetime | None) -> str:
        return notify.fmt_time(value, self.timezone)

    def matches(self, flags: list[dict[str, Any]], lang: str) -> str:
        return notify.render_matches(self.templates, flags, lang)

    # -- the ticket's thread -----------------------------------------------

    def thread_lang(self, conn: Connection, ticket_id: int) -> str:
        return notify.thread_language(conn, ticket_id) or self.config.instance.default_language

    def actor(self, conn: Connection, ticket_id: int, actor: str) -> str:
        """An actor's label in the language of the ticket's thread."""
        return notify.actor_label(conn, actor, self.templates, self.thread_lang(conn, ticket_id))

    def post(self, conn: Connection, now: datetime, ticket_id: int, key: str, **fields: Any) -> None:
        """Add a line to the ticket's Slack thread, in the thread's language."""
        lang = notify.thread_language(conn, ticket_id)
        if lang is not None:
            notify.queue_staff_message(conn, now, ticket_id, self.render(lang, key, **fields))

    # -- entry point -----------------------------------------------------

    async def execute(self, member: StaffMember, cmd: StaffCommand, *, origin: str,
                      photo: bytes | None = None, photo_error: str | None = None) -> str:
        """Run one command for ``member``; returns the text to show them. Never raises."""
        return (await self.run(member, cmd, origin=origin, photo=photo, photo_error=photo_error)).text

    async def run(self, member: StaffMember, cmd: StaffCommand, *, origin: str,
                  photo: bytes | None = None, photo_error: str | None = None) -> Reply:
        """Run one command for ``member``: the answer, and whether it was done. Never raises."""
        lang = self.language(member)
        command = BY_NAME[cmd.name]
        if command.data == NO_DATA:
            return Reply(self.help(lang))
        try:
            refusal = self.directory.may_run(member, cmd.name)
            if command.data in (READ, INTAKE):
                if refusal:
                    return self._refused(lang, refusal)
                ctx = CommandContext(self, member, cmd, self.clock.now(), lang, origin)
                if command.data == READ:
                    return await self.db.read(lambda conn: _reply(command.run(_on(ctx, conn))))
                reply = command.run(ctx)  # an INTAKE command is async
                return _reply(await reply if inspect.isawaitable(reply) else reply)
            stored: ProofPhoto | None = None
            if cmd.name in ("selesai", "foto") and refusal is None and (photo is not None or cmd.url or photo_error):
                # Fetch only for someone allowed to act on this ticket.
                ticket = await self.db.read(repo.ticket_by_tracking_id, cmd.tracking_id)
                if ticket is not None and self.directory.may_touch(member, ticket) is None:
                    if photo_error:
                        return Reply(self.render(lang, photo_error), ok=False)
                    if photo is None and cmd.url:
                        photo = await self.proofs.fetch_url(cmd.url)
                    if photo is not None:
                        stored = await self.proofs.store(photo)
            return await self.db.write(self._apply, command, member, cmd, self.clock.now(), stored, lang, origin)
        except PhotoError as exc:
            return Reply(self.render(lang, exc.key, **exc.fields), ok=False)
        except TransitionError as exc:
            return Reply(self.render(lang, "staff_bad_status", tracking_id=cmd.tracking_id or "",
                                     status=self.label(str(exc.from_status), lang),
                                     command=self.command_name(cmd.name, lang)), ok=False)
        except Exception:  # noqa: BLE001 - an officer gets an answer, never a stack trace
            log.exception("staff command %s by %s failed", cmd.name, member.code)
            return Reply(self.render(lang, "staff_error"), ok=False)
        finally:
            self.wake()

    def _refused(self, lang: str, refusal: Refusal) -> Reply:
        return Reply(self.refusal(lang, refusal), ok=False, refused=True)

    def _apply(self, conn: Connection, command: Command, member: StaffMember, cmd: StaffCommand, now: datetime,
               photo: ProofPhoto | None, lang: str, origin: str) -> Reply:
        ticket = repo.ticket_by_tracking_id(conn, cmd.tracking_id or "")
        if ticket is None:
            return Reply(self.render(lang, "staff_not_found", tracking_id=cmd.tracking_id), ok=False)
        refusal = self.directory.may_run(member, cmd.name) or self.directory.may_touch(member, ticket)
        if refusal is not None:
            # A refused attempt is part of the audit trail too.
            repo.add_event(conn, ticket["id"], "staff_denied", member.actor, now,
                           data={"command": cmd.name, "why": refusal.key, "via": origin})
            return self._refused(lang, refusal)
        ctx = CommandContext(self, member, cmd, now, lang, origin, conn=conn, ticket=ticket, photo=photo)
        return _reply(command.run(ctx))

    async def add_photo(self, member: StaffMember, tracking_id: str, content: bytes, *, origin: str) -> str:
        """Keep a photo shared in a ticket's thread; returns a text for the thread ("" when the post says it)."""
        return await self.execute(member, StaffCommand("foto", tracking_id), origin=origin, photo=content)


def _on(ctx: CommandContext, conn: Connection) -> CommandContext:
    from dataclasses import replace

    return replace(ctx, conn=conn)


def _reply(reply: Any) -> Reply:
    assert not inspect.isawaitable(reply), "an ON_TICKET/READ command must not be async"
    return reply if isinstance(reply, Reply) else Reply(str(reply))
