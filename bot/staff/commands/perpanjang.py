"""``perpanjang|extend <id> <hours> <reason>``: move the resolution deadline (0 < hours <= 720)."""
from __future__ import annotations

from bot.staff.commands.base import ANY_ROLE, Command, CommandContext, Reply
from bot.staff.commands.shared import closed_refusal
from store import repo


def run(ctx: CommandContext) -> Reply:
    closed = closed_refusal(ctx)
    if closed:
        return closed
    staff, conn, t, now, member, reason = ctx.staff, ctx.db, ctx.t, ctx.now, ctx.officer, ctx.args.text
    hours = float(ctx.args.hours or 0)
    # On the configured SLA clock: in working-hours mode 8 hours is one working day.
    old, new = t["resolve_due"], staff.policy.sla.clock.add(t["resolve_due"], hours)
    repo.update_ticket(conn, t["id"], resolve_due=new, updated_at=now)
    repo.add_event(conn, t["id"], "deadline_extended", member.actor, now, reason=reason,
                   data={"hours": hours, "from": old, "to": new, "via": ctx.origin})
    staff.post(conn, now, t["id"], "staff_post_extended", tracking_id=t["tracking_id"],
               actor=staff.actor(conn, t["id"], member.actor), hours=f"{hours:g}",
               resolve_due=staff.time(new), reason=reason)
    return ctx.render("staff_ok_extend", tracking_id=t["tracking_id"], hours=f"{hours:g}", resolve_due=staff.time(new))


COMMAND = Command(
    name="perpanjang", aliases=("extend",), roles=ANY_ROLE, grammar="id_hours_text",
    args_id="<nomor> <jam> <alasan>", args_en="<number> <hours> <reason>",
    help_id="perpanjang batas penyelesaian", help_en="extend the resolution deadline",
    readme_args="<id> <hours> <reason>", readme="`ticket.resolve_due += hours` (0 < hours <= 720)", run=run,
)
