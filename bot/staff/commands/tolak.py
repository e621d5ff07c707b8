"""``tolak|reject <id> <reason>``: reject the report (-> DITOLAK)."""
from __future__ import annotations

from bot.lifecycle import Status
from bot.staff.commands.base import OFFICERS, Command, CommandContext, Reply
from bot.tickets import transition


def run(ctx: CommandContext) -> Reply:
    transition(ctx.db, ctx.staff.policy, ctx.now, ctx.t, Status.DITOLAK.value, ctx.officer.actor,
               reason=ctx.args.text, data={"via": ctx.origin})
    return ctx.render("staff_ok_reject", tracking_id=ctx.t["tracking_id"])


COMMAND = Command(
    name="tolak", aliases=("reject",), roles=OFFICERS, grammar="id_text",
    args_id="<nomor> <alasan>", args_en="<number> <reason>", help_id="tolak laporan", help_en="reject the report",
    readme_args="<id> <reason>", readme="-> DITOLAK", run=run,
)
