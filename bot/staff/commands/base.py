"""What a staff command is: its declaration, the context it runs in and its reply.

Every command module under ``bot.staff.commands`` declares one ``Command``:
its Indonesian name, English aliases, the roles allowed, its argument
grammar, its help line and ``run(ctx) -> Reply``. The engine authorises,
opens the transaction and builds the ``CommandContext``; the channel (Slack,
Telegram, later the web console) only parses and shows the reply.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Union

from sqlalchemy import Connection, RowMapping

if TYPE_CHECKING:
    from bot.staff.directory import StaffMember
    from bot.staff.engine import StaffEngine
    from bot.staff.proof import ProofPhoto

ROLES = ("lurah", "agency_officer", "validator", "admin")
ANY_ROLE = frozenset(ROLES)
OFFICERS = frozenset({"lurah", "agency_officer", "admin"})
VALIDATORS = frozenset({"validator", "admin"})

# How a command reaches its data (the engine opens the matching transaction).
ON_TICKET = "ticket"  # a write transaction on the ticket named by its first argument
READ = "read"  # a read transaction, no ticket (daftar)
INTAKE = "intake"  # async, through the intake pipeline (baru)
NO_DATA = "none"  # no database at all (bantuan)


class CommandSyntaxError(Exception):
    """A command that cannot be run as typed: ``key`` is the template explaining it."""

    def __init__(self, key: str, command: str | None = None, **fields: Any) -> None:
        super().__init__(key)
        self.key = key
        self.command = command
        self.fields = fields


@dataclass(frozen=True)
class StaffCommand:
    """A parsed command: its canonical name and arguments (parsing never touches the database)."""

    name: str  # canonical (Indonesian) subcommand
    tracking_id: str | None = None
    text: str = ""  # note, reason, reply text, report text
    target: str | None = None  # koordinasi agency / disposisi unit
    url: str | None = None  # selesai: a photo URL
    hours: float | None = None  # perpanjang
    force: bool = False  # validasi paksa
    contact: str | None = None  # baru: +628... or an email address
    contact_channel: str | None = None  # baru: "sms", "whatsapp", "email", or "none" (no updates wanted)
    source: str | None = None  # baru: where the report came in (bot.staff.commands.baru.ORIGINS)
    filters: dict[str, str] = field(default_factory=dict)  # daftar


# Answers that are not a success although no refusal either (the action was recorded).
_RECORDED = frozenset({"staff_reply_unreachable"})


@dataclass(frozen=True)
class Reply:
    """What the officer is shown ("" when a post in the thread says it already).

    ``ok`` is False when nothing was done (a refusal, a bad argument, a wrong status): chat desks
    show the text either way, the web console also answers with a 4xx status. ``refused`` is
    True when the refusal is about who may do it (role or scope) rather than the ticket's state.
    """

    text: str
    ok: bool = True
    refused: bool = False
    tracking_id: str | None = None  # the ticket a command opened (baru)


@dataclass(frozen=True)
class CommandContext:
    """Everything one run of a command may use."""

    staff: "StaffEngine"  # rendering, directory, proofs, policy, intake (the shared services)
    officer: "StaffMember"
    args: StaffCommand
    now: datetime
    lang: str
    origin: str  # slack | telegram | web
    conn: Connection | None = None  # None for INTAKE and NO_DATA commands
    ticket: RowMapping | None = None  # set for ON_TICKET commands
    photo: "ProofPhoto | None" = None

    def render(self, key: str, **fields: Any) -> Reply:
        """The answer ``key``; a success only for ``staff_ok_*`` (and answers in ``_RECORDED``)."""
        ok = key.startswith("staff_ok_") or key in _RECORDED
        return Reply(self.staff.render(self.lang, key, **fields), ok=ok, refused=key.startswith("staff_denied"))

    @property
    def t(self) -> Any:
        """The ticket (ON_TICKET commands only)."""
        assert self.ticket is not None
        return self.ticket

    @property
    def db(self) -> Connection:
        assert self.conn is not None
        return self.conn


Run = Callable[[CommandContext], Union[Reply, Awaitable[Reply]]]


@dataclass  # not frozen: tests swap ``run`` to simulate a failure
class Command:
    """One staff command's declaration."""

    name: str
    aliases: tuple[str, ...]  # English first (used in English texts), then other spellings
    roles: frozenset[str]
    grammar: str  # a key of bot.staff.commands.parse.GRAMMARS
    args_id: str  # argument synopsis, Indonesian (help)
    args_en: str  # argument synopsis, English (help)
    help_id: str  # one line for staff_help (id)
    help_en: str  # one line for staff_help (en)
    readme: str  # the "what" column of bot/staff/README.md
    readme_args: str  # the argument synopsis in README
    run: Run
    data: str = ON_TICKET
    listed: bool = True  # False: not typed by officers (the thread photo)

    @property
    def english(self) -> str:
        return self.aliases[0] if self.aliases else self.name
