"""``proses|process <id>``: start or resume work (-> PROSES, also after TL_DITOLAK)."""
from __future__ import annotations

from bot.lifecycle import Status
from bot.staff.commands.base import OFFICERS, Command, CommandContext, Reply
from bot.tickets import transition


def run(ctx: CommandContext) -> Reply:
    transition(ctx.db, ctx.staff.policy, ctx.now, ctx.t, Status.PROSES.value, ctx.officer.actor,
               data={"via": ctx.origin})
    return ctx.render("staff_ok_process", tracking_id=ctx.t["tracking_id"])


COMMAND = Command(
    name="proses", aliases=("process",), roles=OFFICERS, grammar="id",
    args_id="<nomor>", args_en="<number>", help_id="mulai/lanjutkan penanganan", help_en="start/resume work",
    readme_args="<id>", readme="-> PROSES (also after TL_DITOLAK)", run=run,
)
