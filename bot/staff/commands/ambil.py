"""``ambil|take <id>``: assign the ticket to me (``staff_assignment``)."""
from __future__ import annotations

from bot.staff.commands.base import OFFICERS, Command, CommandContext, Reply
from bot.staff.commands.shared import closed_refusal
from store import repo
from store import staff as staff_store


def run(ctx: CommandContext) -> Reply:
    closed = closed_refusal(ctx)
    if closed:
        return closed
    t, conn, member = ctx.t, ctx.db, ctx.officer
    previous = staff_store.assign(conn, t["id"], member.code, ctx.now)
    repo.add_event(conn, t["id"], "assigned", member.actor, ctx.now,
                   data={"staff": member.code, "previous": previous, "via": ctx.origin})
    ctx.staff.post(conn, ctx.now, t["id"], "staff_post_assigned", tracking_id=t["tracking_id"],
                   actor=ctx.staff.actor(conn, t["id"], member.actor))
    return ctx.render("staff_ok_take", tracking_id=t["tracking_id"])


COMMAND = Command(
    name="ambil", aliases=("take",), roles=OFFICERS, grammar="id",
    args_id="<nomor>", args_en="<number>", help_id="tangani sendiri", help_en="handle it yourself",
    readme_args="<id>", readme="assign to me (`staff_assignment`)", run=run,
)
