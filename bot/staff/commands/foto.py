"""``foto``: a photo an officer shared in a ticket's thread, kept for ``selesai`` (not typed by officers)."""
from __future__ import annotations

from bot.staff.commands.base import OFFICERS, Command, CommandContext, Reply
from bot.staff.proof import STAFF_PHOTO, add_attachment
from store import repo


def run(ctx: CommandContext) -> Reply:
    if ctx.photo is None:
        return ctx.render("staff_photo_download_failed")
    conn, t, member = ctx.db, ctx.t, ctx.officer
    aid = add_attachment(conn, ctx.photo, t["id"], STAFF_PHOTO, ctx.now)
    repo.add_event(conn, t["id"], "staff_photo", member.actor, ctx.now, data={"attachment_id": aid, "via": ctx.origin})
    ctx.staff.post(conn, ctx.now, t["id"], "staff_post_photo", tracking_id=t["tracking_id"],
                   actor=ctx.staff.actor(conn, t["id"], member.actor))
    return Reply("")  # the thread post says it


COMMAND = Command(
    name="foto", aliases=(), roles=OFFICERS, grammar="id", listed=False,
    args_id="", args_en="", help_id="", help_en="", readme_args="", readme="", run=run,
)
