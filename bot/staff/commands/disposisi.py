"""``disposisi|dispatch <id> <unit>``: hand the ticket to a sub-unit of its agency (-> DISPOSISI)."""
from __future__ import annotations

from bot.lifecycle import Status
from bot.staff.commands.base import Command, CommandContext, Reply
from bot.staff.commands.shared import handoff
from bot.tickets import transition


def run(ctx: CommandContext) -> Reply:
    staff, t, directory = ctx.staff, ctx.t, ctx.staff.directory
    parent = t["agency_code"]
    unit = directory.agency_code(ctx.args.target or "")
    units = sorted(c for c in directory.agency_parent if parent and c != parent and directory.agency_within(c, parent))
    if not parent or unit is None or unit not in units:
        return ctx.render("staff_bad_unit", given=(ctx.args.target or "")[:40], agency=staff.agency(parent),
                          known=", ".join(units) or "-")
    updated = transition(ctx.db, staff.policy, ctx.now, t, Status.DISPOSISI.value, ctx.officer.actor,
                         reason=staff.agency(unit), data={"unit": unit, "via": ctx.origin}, unit=unit)
    handoff(ctx, updated, parent, unit)
    return ctx.render("staff_ok_dispose", tracking_id=t["tracking_id"], unit=staff.agency(unit))


COMMAND = Command(
    name="disposisi", aliases=("dispatch",), roles=frozenset({"agency_officer", "admin"}), grammar="id_target",
    args_id="<nomor> <unit>", args_en="<number> <unit>",
    help_id="serahkan ke suku dinas", help_en="hand over to a sub-unit",
    readme_args="<id> <unit>", readme="-> DISPOSISI to a sub-unit of the ticket's agency", run=run,
)
