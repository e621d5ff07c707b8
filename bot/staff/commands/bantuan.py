"""``bantuan|help``: the list of commands (the staff_help text)."""
from __future__ import annotations

from bot.staff.commands.base import ANY_ROLE, NO_DATA, Command, CommandContext, Reply


def run(ctx: CommandContext) -> Reply:
    return Reply(ctx.staff.help(ctx.lang))


COMMAND = Command(
    name="bantuan", aliases=("help",), roles=ANY_ROLE, grammar="none", data=NO_DATA,
    args_id="", args_en="", help_id="", help_en="", readme_args="", readme="the list above", run=run,
)
