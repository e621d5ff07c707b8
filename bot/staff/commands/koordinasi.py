"""``koordinasi|coordinate <id> <agency>``: hand the ticket to another agency (-> KOORDINASI)."""
from __future__ import annotations

from bot.lifecycle import Status
from bot.staff.commands.base import OFFICERS, Command, CommandContext, Reply
from bot.staff.commands.shared import handoff
from bot.tickets import transition


def run(ctx: CommandContext) -> Reply:
    staff, t, target = ctx.staff, ctx.t, ctx.args.target or ""
    agency = staff.directory.agency_code(target)
    if agency is None:
        return ctx.render("staff_unknown_agency", given=target[:40], known=", ".join(sorted(staff.directory.agency_parent)))
    updated = transition(ctx.db, staff.policy, ctx.now, t, Status.KOORDINASI.value, ctx.officer.actor,
                         reason=staff.agency(agency), data={"agency": agency, "via": ctx.origin},
                         agency_code=agency, unit=None)
    handoff(ctx, updated, agency, None)
    return ctx.render("staff_ok_coordinate", tracking_id=t["tracking_id"], agency=staff.agency(agency))


COMMAND = Command(
    name="koordinasi", aliases=("coordinate",), roles=OFFICERS, grammar="id_target",
    args_id="<nomor> <instansi>", args_en="<number> <agency>",
    help_id="serahkan ke instansi lain", help_en="hand over to another agency",
    readme_args="<id> <agency>", readme="-> KOORDINASI, ticket's agency changes", run=run,
)
