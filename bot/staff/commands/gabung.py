"""``gabung|merge <id> <into-id> [paksa]``: merge a duplicate report into the main one (issue 15).

The duplicate is closed as DITOLAK with ``merged_into_id`` set (it leaves the figures, the SLA sweep and
the inbox; its page points to the main ticket); its reporter and followers become followers of the main
ticket and are told so on their own channels. The officer must have both tickets in scope. Refused:
merging into itself, into a closed or merged ticket, a duplicate that is itself closed (or waiting for
validation: DITOLAK cannot follow MENUNGGU_VALIDASI), and, unless ``paksa``/``force`` is added, two
tickets of different kelurahan (a mistake more often than not: the same pothole has one kelurahan).
"""
from __future__ import annotations

from bot import duplicates
from bot.lifecycle import OPEN_STATUSES, Status
from bot.staff.commands.base import OFFICERS, Command, CommandContext, Reply
from bot.tickets import transition
from bot.tracking import normalize
from store import duplicates as dup_store
from store import repo

FORCE = ("paksa", "force")


def run(ctx: CommandContext) -> Reply:
    conn, t, member, staff = ctx.db, ctx.t, ctx.officer, ctx.staff
    into_id = normalize(ctx.args.target or "", staff.prefix)
    main = repo.ticket_by_tracking_id(conn, into_id) if into_id else None
    if main is None:
        return ctx.render("staff_not_found", tracking_id=(ctx.args.target or "")[:40])
    if main["id"] == t["id"]:
        return ctx.render("staff_merge_self", tracking_id=t["tracking_id"])
    if t["status"] not in OPEN_STATUSES or t["merged_into_id"] is not None:
        return ctx.render("staff_merge_closed", tracking_id=t["tracking_id"], status=staff.label(t["status"], ctx.lang))
    if main["status"] not in OPEN_STATUSES or main["merged_into_id"] is not None:
        return ctx.render("staff_merge_into_closed", tracking_id=main["tracking_id"],
                          status=staff.label(main["status"], ctx.lang))
    refusal = staff.directory.may_touch(member, main)
    if refusal is not None:
        repo.add_event(conn, t["id"], "staff_denied", member.actor, ctx.now,
                       data={"command": "gabung", "why": refusal.key, "into": main["tracking_id"], "via": ctx.origin})
        reply = staff.refusal(ctx.lang, refusal)
        return Reply(reply, ok=False, refused=True)
    if t["area_code"] != main["area_code"] and ctx.args.text.strip().lower() not in FORCE:
        return ctx.render("staff_merge_other_area", tracking_id=t["tracking_id"], into=main["tracking_id"])
    # Whoever hears of the duplicate hears of the main ticket from now on (each on their own channel).
    followers_of_duplicate = [t["reporter_id"], *dup_store.follower_ids(conn, t["id"])]
    dup_store.copy_followers(conn, [r for r in followers_of_duplicate if r != main["reporter_id"]], main["id"],
                             "merged", ctx.now)
    dup_store.add_link(conn, t["id"], main["id"], duplicates.MERGED, "officer", None, ctx.now)
    reason = staff.render(staff.templates.language(t["language"]), "merged_reason", tracking_id=main["tracking_id"])
    transition(conn, staff.policy, ctx.now, t, Status.DITOLAK.value, member.actor, reason=reason,
               data={"via": ctx.origin, "merged_into": main["tracking_id"]}, merged_into_id=main["id"])
    repo.add_event(conn, main["id"], "merged", member.actor, ctx.now,
                   data={"from": t["tracking_id"], "via": ctx.origin})
    return ctx.render("staff_ok_merge", tracking_id=t["tracking_id"], into=main["tracking_id"])


COMMAND = Command(
    name="gabung", aliases=("merge",), roles=OFFICERS, grammar="id_target",
    args_id="<nomor> <nomor-utama> [paksa]", args_en="<number> <main-number> [force]",
    help_id="gabungkan laporan duplikat ke laporan utama", help_en="merge a duplicate report into the main one",
    readme_args="<id> <into-id> [paksa]",
    readme="close a duplicate as merged into the main report (both in scope; other kelurahan only with paksa); "
           "its reporter follows the main one", run=run,
)
