"""``balas|reply <id> <text>``: the only way an officer's words reach the citizen (``staff_reply``)."""
from __future__ import annotations

from bot.outbox import notify_reporter
from bot.staff.commands.base import OFFICERS, Command, CommandContext, Reply
from store import repo


def run(ctx: CommandContext) -> Reply:
    staff, conn, t, member, text = ctx.staff, ctx.db, ctx.t, ctx.officer, ctx.args.text
    mid = notify_reporter(conn, staff.policy, ctx.now, t, "staff_reply", kind="staff_reply", text=text)
    repo.add_event(conn, t["id"], "staff_reply", member.actor, ctx.now, reason=text, public=False,
                   data={"message_id": mid, "via": ctx.origin})
    staff.post(conn, ctx.now, t["id"], "staff_post_reply", tracking_id=t["tracking_id"],
               actor=staff.actor(conn, t["id"], member.actor), text=text)
    if mid is None:
        return ctx.render("staff_reply_unreachable", tracking_id=t["tracking_id"])
    return ctx.render("staff_ok_reply", tracking_id=t["tracking_id"])


COMMAND = Command(
    name="balas", aliases=("reply",), roles=OFFICERS, grammar="id_text",
    args_id="<nomor> <teks>", args_en="<number> <text>", help_id="pesan ke pelapor", help_en="message to the reporter",
    readme_args="<id> <text>", readme="the only way an officer's words reach the citizen (`staff_reply`)", run=run,
)
