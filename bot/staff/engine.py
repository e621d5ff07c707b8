"""The officers' commands: authorise, act, audit and notify, one transaction each.

Channel-neutral: Slack and the Telegram staff group both call
``StaffEngine.execute(member, command, origin=...)`` and show the text it
returns. Every action is checked against the staff directory (role and
scope; a refusal says why, and a refusal on a ticket is itself audited) and
recorded as a TicketEvent with actor ``staff:<code>``. Status changes go
through ``bot.tickets.transition`` so the citizen is told on their own
channel; nothing else an officer types reaches a citizen except ``balas``.

The handlers live in ``handlers_view`` (lihat, daftar), ``handlers_workflow``
(ambil ... perpanjang) and ``handlers_messages`` (catatan, balas, baru).
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import Connection

from bot.clock import Clock
from bot.config import AppConfig
from bot.lifecycle import TransitionError
from bot.outbox import OutboxPolicy
from bot.staff import notify
from bot.staff.commands import ENGLISH, CommandSyntaxError, StaffCommand
from bot.staff.directory import Refusal, StaffDirectory, StaffMember
from bot.staff.handlers_messages import MessageHandlers, mask_contact  # noqa: F401 - re-exported
from bot.staff.handlers_view import LIST_LIMIT, TIMELINE, ViewHandlers  # noqa: F401 - re-exported
from bot.staff.handlers_workflow import WorkflowHandlers
from bot.staff.proof import PhotoError, ProofPhoto, ProofStore
from bot.templates import TemplateError, Templates
from store import repo
from store.db import Database

log = logging.getLogger(__name__)


class StaffEngine(ViewHandlers, WorkflowHandlers, MessageHandlers):
    """Dispatcher: one ``_do_<command>`` handler per subcommand, from the handler mixins."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: AppConfig,
        templates: Templates,
        policy: OutboxPolicy,
        directory: StaffDirectory,
        proofs: ProofStore,
        intake: Any,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
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

    def _has(self, key: str) -> bool:
        try:
            self.templates.render(key, None)
        except TemplateError as exc:
            return "has no value" in str(exc)
        return True

    def command_name(self, name: str, lang: str) -> str:
        return ENGLISH.get(name, name) if lang == "en" else name

    def help(self, lang: str) -> str:
        return self.render(lang, "staff_help")

    def usage(self, lang: str, command: str) -> str:
        key = f"staff_usage_{command.replace('-', '_')}"
        return self.render(lang, key) if self._has(key) else self.help(lang)

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

    def _label(self, status: str, lang: str) -> str:
        return self.templates.status_label(status, lang)

    def _category(self, code: str, lang: str) -> str:
        c = self.categories.get(code)
        return (c.name_en if lang == "en" else c.name_id) if c else code

    def _agency(self, code: str | None) -> str:
        return self.directory.agency_names.get(code or "", code or "-")

    def _time(self, value: datetime | None) -> str:
        return notify.fmt_time(value, self.timezone)

    def _thread_lang(self, conn: Connection, ticket_id: int) -> str:
        return notify.thread_language(conn, ticket_id) or self.config.instance.default_language

    def _post(self, conn: Connection, now: datetime, ticket_id: int, key: str, **fields: Any) -> None:
        """Add a line to the ticket's Slack thread, in the thread's language."""
        lang = notify.thread_language(conn, ticket_id)
        if lang is not None:
            notify.queue_staff_message(conn, now, ticket_id, self.render(lang, key, **fields))

    def _matches(self, flags: list[dict[str, Any]], lang: str) -> str:
        parts = []
        for f in flags[:5]:
            key = {"identical": "staff_match_identical", "similar": "staff_match_similar",
                   "citizen_photo": "staff_match_citizen"}[f["match"]]
            parts.append(self.render(lang, key, tracking_id=f["tracking_id"], distance=f["distance"]))
        return "; ".join(parts)

    # -- entry point -----------------------------------------------------

    async def execute(self, member: StaffMember, cmd: StaffCommand, *, origin: str,
                      photo: bytes | None = None, photo_error: str | None = None) -> str:
        """Run one command for ``member``; returns the text to show them. Never raises."""
        lang = self.language(member)
        if cmd.name == "bantuan":
            return self.help(lang)
        try:
            refusal = self.directory.may_run(member, cmd.name)
            if cmd.name == "daftar":
                if refusal:
                    return self.refusal(lang, refusal)
                return await self.db.read(self._list, member, cmd, self.clock.now(), lang)
            if cmd.name == "baru":
                if refusal:
                    return self.refusal(lang, refusal)
                return await self._new_report(member, cmd, origin, lang)
            stored: ProofPhoto | None = None
            if cmd.name in ("selesai", "foto") and refusal is None and (photo is not None or cmd.url or photo_error):
                # Fetch only for someone allowed to act on this ticket.
                ticket = await self.db.read(repo.ticket_by_tracking_id, cmd.tracking_id)
                if ticket is not None and self.directory.may_touch(member, ticket) is None:
                    if photo_error:
                        return self.render(lang, photo_error)
                    if photo is None and cmd.url:
                        photo = await self.proofs.fetch_url(cmd.url)
                    if photo is not None:
                        stored = await self.proofs.store(photo)
            return await self.db.write(self._apply, member, cmd, self.clock.now(), stored, lang, origin)
        except PhotoError as exc:
            return self.render(lang, exc.key, **exc.fields)
        except TransitionError as exc:
            return self.render(lang, "staff_bad_status", tracking_id=cmd.tracking_id or "",
                               status=self._label(str(exc.from_status), lang),
                               command=self.command_name(cmd.name, lang))
        except Exception:  # noqa: BLE001 - an officer gets an answer, never a stack trace
            log.exception("staff command %s by %s failed", cmd.name, member.code)
            return self.render(lang, "staff_error")
        finally:
            self.wake()

    def _apply(self, conn: Connection, member: StaffMember, cmd: StaffCommand, now: datetime,
               photo: ProofPhoto | None, lang: str, origin: str) -> str:
        ticket = repo.ticket_by_tracking_id(conn, cmd.tracking_id or "")
        if ticket is None:
            return self.render(lang, "staff_not_found", tracking_id=cmd.tracking_id)
        refusal = self.directory.may_run(member, cmd.name) or self.directory.may_touch(member, ticket)
        if refusal is not None:
            # A refused attempt is part of the audit trail too.
            repo.add_event(conn, ticket["id"], "staff_denied", member.actor, now,
                           data={"command": cmd.name, "why": refusal.key, "via": origin})
            return self.refusal(lang, refusal)
        handler = getattr(self, "_do_" + cmd.name.replace("-", "_"))
        return handler(conn, member, cmd, ticket, now, photo, lang, origin)

    async def add_photo(self, member: StaffMember, tracking_id: str, content: bytes, *, origin: str) -> str:
        """Keep a photo shared in a ticket's thread; returns a text for the thread ("" when the post says it)."""
        return await self.execute(member, StaffCommand("foto", tracking_id), origin=origin, photo=content)
