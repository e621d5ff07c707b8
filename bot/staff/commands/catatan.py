"""``catatan|note <id> <text>``: an internal note; never sent, never public."""
from __future__ import annotations

from bot.staff.commands.base import ANY_ROLE, Command, CommandContext, Reply
from store import repo


def run(ctx: CommandContext) -> Reply:
    conn, t, member, text = ctx.db, ctx.t, ctx.officer, ctx.args.text
    # Internal: never public, never sent to the citizen.
    repo.add_event(conn, t["id"], "staff_note", member.actor, ctx.now, reason=text, public=False,
                   data={"via": ctx.origin})
    ctx.staff.post(conn, ctx.now, t["id"], "staff_post_note", tracking_id=t["tracking_id"],
                   actor=ctx.staff.actor(conn, t["id"], member.actor), text=text)
    return ctx.render("staff_ok_note", tracking_id=t["tracking_id"])


COMMAND = Command(
    name="catatan", aliases=("note",), roles=ANY_ROLE, grammar="id_text",
    args_id="<nomor> <teks>", args_en="<number> <text>",
    help_id="catatan internal (tidak dikirim ke warga)", help_en="internal note (never sent to the citizen)",
    readme_args="<id> <text>", readme="internal note; never sent, never public", run=run,
)
