"""``tempatkan|place <id> <kelurahan>``: set a report's kelurahan by hand, e.g. one routed by coordinates
to the city level (``needs_placing``) or to the nearest kelurahan centre (approximate)."""
from __future__ import annotations

from bot.areas import KELURAHAN
from bot.refdata import slugify
from bot.routing import OFFICER_PLACED
from bot.staff import notify
from bot.staff.commands.base import OFFICERS, Command, CommandContext, Reply
from store import repo



def _kelurahan(ctx: CommandContext, given: str) -> str | None:
    """The kelurahan code an officer typed: its code, or its name when only one kelurahan has it."""
    areas = ctx.staff.directory.areas
    given = given.strip()
    if given in areas:
        return given if areas[given].level == KELURAHAN else None
    slug = slugify(given.replace("_", " "))
    hits = [a.code for a in areas.values() if a.level == KELURAHAN and slugify(a.name) == slug]
    return hits[0] if len(hits) == 1 else None


def run(ctx: CommandContext) -> Reply:
    conn, t, member = ctx.db, ctx.t, ctx.officer
    code = _kelurahan(ctx, ctx.args.text)
    if code is None:
        return Reply(ctx.staff.render(ctx.lang, "staff_bad_kelurahan", given=ctx.args.text[:40]))
    repo.update_ticket(conn, t["id"], area_code=code, area_method=OFFICER_PLACED, updated_at=ctx.now)
    # Audited, internal: where it was and where the officer put it.
    repo.add_event(conn, t["id"], "placed", member.actor, ctx.now, public=False,
                   data={"from": t["area_code"], "from_method": t["area_method"], "to": code, "via": ctx.origin})
    return ctx.render("staff_ok_place", tracking_id=t["tracking_id"], area=notify.area_label(conn, code))


COMMAND = Command(
    name="tempatkan", aliases=("place",), roles=OFFICERS, grammar="id_text",
    args_id="<nomor> <kelurahan>", args_en="<number> <kelurahan>",
    help_id="tetapkan kelurahan laporan (kode atau nama)", help_en="set the report's kelurahan (code or name)",
    readme_args="<id> <kelurahan>", readme="set the kelurahan by hand (code or name); audited", run=run,
)
