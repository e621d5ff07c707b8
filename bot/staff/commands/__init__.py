"""The officers' commands, one module each; the same in Slack, Telegram and (later) the web console.

One command, ``/aduan <subcommand> ...``, Indonesian subcommands with English
aliases. Each module declares a ``Command`` (``base``): name, aliases, roles,
argument grammar (``parse``), help line and ``run(ctx) -> Reply``.
``catalog`` lists them and generates the help text and the README table.
"""
from __future__ import annotations

from bot.staff.commands.base import CommandContext, CommandSyntaxError, Reply, StaffCommand
from bot.staff.commands.catalog import ALIASES, BY_NAME, COMMANDS, ENGLISH, help_text, readme_table
from bot.staff.commands.parse import (
    MAX_EXTEND_HOURS,
    MAX_TEXT,
    normalize_phone,
    parse_contact,
    parse_hours,
    parse_staff_command,
    parse_status,
    unslack,
)

__all__ = [
    "ALIASES", "BY_NAME", "COMMANDS", "ENGLISH", "MAX_EXTEND_HOURS", "MAX_TEXT", "CommandContext",
    "CommandSyntaxError", "Reply", "StaffCommand", "help_text", "normalize_phone", "parse_contact", "parse_hours",
    "parse_staff_command", "parse_status", "readme_table", "unslack",
]
