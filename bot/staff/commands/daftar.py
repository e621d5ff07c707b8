"""``daftar|list [status=..] [terlambat] [area=..] [kategori=..] [instansi=..] [saya]``: open tickets in scope.

Filters are checked against the directory and config here; the query is
``store.staff.list_tickets`` (at most ``LIST_LIMIT`` rows, soonest deadline first).
"""
from __future__ import annotations

from bot.lifecycle import OPEN_STATUSES
from bot.refdata import slugify
from bot.staff.commands.base import ANY_ROLE, READ, Command, CommandContext, Reply
from bot.staff.scope import NoScope, ticket_scope
from store import staff as staff_store

LIST_LIMIT = 20


def _area_codes(ctx: CommandContext, given: str) -> set[str]:
    directory = ctx.staff.directory
    if given in directory.areas:
        return directory.area_descendants(given)
    slug = slugify(given.replace("_", " "))
    hits = [a.code for a in directory.areas.values() if slugify(a.name) == slug]
    return directory.area_descendants(hits[0]) if len(hits) == 1 else set()


def _query(ctx: CommandContext) -> staff_store.TicketQuery | Reply:
    """The list's filters as a query, or the answer explaining a bad one."""
    staff, f = ctx.staff, ctx.args.filters
    query = staff_store.TicketQuery(status=f.get("status"), overdue="overdue" in f,
                                    assignee=ctx.officer.code if "mine" in f else None)
    if "area" in f:
        query.areas = _area_codes(ctx, f["area"])
        if not query.areas:
            return Reply(staff.render(ctx.lang, "staff_bad_area", given=f["area"][:40]) + "\n"
                         + staff.usage(ctx.lang, "daftar"))
    if "category" in f:
        query.category = f["category"].lower()
        if query.category not in staff.categories:
            return ctx.render("staff_bad_category", given=f["category"][:40], known=", ".join(sorted(staff.categories)))
    if "agency" in f:
        agency = staff.directory.agency_code(f["agency"])
        if agency is None:
            return ctx.render("staff_unknown_agency", given=f["agency"][:40],
                              known=", ".join(sorted(staff.directory.agency_parent)))
        query.agencies = staff.directory.agency_descendants(agency)
    return query


def run(ctx: CommandContext) -> Reply:
    staff, lang, now = ctx.staff, ctx.lang, ctx.now
    try:
        scope = ticket_scope(staff.directory, ctx.officer)
    except NoScope:
        return ctx.render("staff_denied_no_scope")
    query = _query(ctx)
    if isinstance(query, Reply):
        return query
    rows = staff_store.list_tickets(ctx.db, scope, query, now, LIST_LIMIT + 1)
    if not rows:
        return ctx.render("staff_list_empty")
    late = staff.render(lang, "staff_overdue_mark")
    lines = [staff.render(lang, "staff_list_header", count=min(len(rows), LIST_LIMIT))]
    for r in rows[:LIST_LIMIT]:
        overdue = r["status"] in OPEN_STATUSES and (
            r["resolve_due"] < now or (r["coordinated_at"] is None and r["coordinate_due"] < now))
        lines.append(staff.render(lang, "staff_list_row", tracking_id=r["tracking_id"],
                                  status=staff.label(r["status"], lang), category=staff.category(r["category_code"], lang),
                                  area=staff.directory.area_name(r["area_code"]),
                                  resolve_due=staff.time(r["resolve_due"]), overdue=late if overdue else ""))
    if len(rows) > LIST_LIMIT:
        lines.append(staff.render(lang, "staff_list_more", limit=LIST_LIMIT))
    return Reply("\n".join(lines))


COMMAND = Command(
    name="daftar", aliases=("list",), roles=ANY_ROLE, grammar="filters", data=READ,
    args_id="[status=..] [terlambat] [area=..] [kategori=..] [instansi=..] [saya]",
    args_en="[status=..] [overdue] [area=..] [category=..] [agency=..] [mine]",
    help_id="daftar laporan", help_en="list reports",
    readme_args="[status=..] [terlambat\\|overdue] [area=<code\\|name>] [kategori\\|category=..] "
                "[instansi\\|agency=..] [saya\\|mine]",
    readme=f"open tickets in the officer's scope ({LIST_LIMIT} at most)", run=run,
)
