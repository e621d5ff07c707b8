"""``lihat|show <id>``: one ticket in full: details, deadlines, history (the reporter is never shown)."""
from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import Connection

from adapters.contract.rows import RowLike
from bot import duplicates
from bot.lifecycle import OPEN_STATUSES
from bot.routing import APPROXIMATE_METHODS
from bot.staff import notify
from bot.staff.commands.base import ANY_ROLE, Command, CommandContext, Reply
from bot.staff.email_auth import email_auth_line
from bot.staff.proof import PROOF, find_reuse, latest_attachment
from store import duplicates as dup_store
from store import proofs as proofs_store
from store import repo
from store import staff as staff_store

TIMELINE = 10  # history lines shown


def describe(staff: Any, conn: Connection, e: RowLike, lang: str, redact: Callable[[str], str]) -> dict[str, str]:
    """One audit event for officers: what happened, who did it, and its text (a citizen's text redacted).
    The web console's ticket page shows the same lines."""
    what = e["kind"]
    if e["kind"] in ("status", "reopen", "created") and e["to_status"]:
        what = staff.label(e["to_status"], lang)
    elif staff.has(f"staff_kind_{e['kind']}"):
        what = staff.render(lang, f"staff_kind_{e['kind']}")
    if e["kind"] == "rating":  # the score given; the comment is the reason
        score = (repo.loads(e["data"]) or {}).get("score")
        what = f"{what} {score}/5" if score else what
    reason = e["reason"] or ""
    if reason and not e["actor"].startswith("staff:"):
        reason = redact(reason)
    return {"what": what, "actor": notify.actor_label(conn, e["actor"], staff.templates, lang), "reason": reason}


def timeline(ctx: CommandContext, reporter: RowLike | None) -> list[str]:
    staff, conn, lang = ctx.staff, ctx.db, ctx.lang
    lines = []
    for e in repo.events_for(conn, ctx.t["id"])[-TIMELINE:]:
        d = describe(staff, conn, e, lang, lambda text: notify.identity_redact(text, reporter))
        lines.append(staff.render(lang, "staff_timeline_line", at=staff.time(e["created_at"]), what=d["what"],
                                  actor=d["actor"], reason=f": {d['reason'][:200]}" if d["reason"] else ""))
    return lines


def duplicate_lines(staff: Any, conn: Connection, t: RowLike, lang: str) -> list[str]:
    """Possible duplicates and merges of a ticket, with the ``gabung`` hint (the console shows the same)."""
    lines, possible = [], False
    for link in dup_store.links_of(conn, t["id"]):
        if link["kind"] == duplicates.MERGED:
            key = "staff_merged_into" if link["newer"] else "staff_merged_from"
            lines.append(staff.render(lang, key, other=link["tracking_id"]))
            continue
        possible = True
        how = staff.render(lang, f"staff_duplicate_{link['reason']}",
                           metres=round(link["distance_m"] or 0))
        lines.append(staff.render(lang, "staff_possible_duplicate", other=link["tracking_id"], how=how,
                                  status=staff.label(link["status"], lang)))
    if possible and t["merged_into_id"] is None and t["status"] in OPEN_STATUSES:
        lines.append(staff.render(lang, "staff_merge_hint", tracking_id=t["tracking_id"]))
    return lines


def run(ctx: CommandContext) -> Reply:
    staff, conn, t, now, lang = ctx.staff, ctx.db, ctx.t, ctx.now, ctx.lang
    reporter = repo.get_reporter(conn, t["reporter_id"])
    photos = proofs_store.attachment_kinds(conn, t["id"])
    assignee = staff_store.assignee(conn, t["id"])
    open_ = t["status"] in OPEN_STATUSES
    proof = latest_attachment(conn, t["id"], PROOF)
    flags = find_reuse(conn, t["id"], proof["sha256"], proof["phash"], staff.proofs.threshold) if proof else []
    late = staff.render(lang, "staff_overdue_mark")
    text = staff.render(
        lang, "staff_view",
        tracking_id=t["tracking_id"], status=staff.label(t["status"], lang),
        category=staff.category(t["category_code"], lang), area=notify.area_label(conn, t["area_code"]),
        agency=staff.agency(t["agency_code"]) + (f" / {staff.agency(t['unit'])}" if t["unit"] else ""),
        assignee=staff.staff_label(ctx.db, assignee) if assignee else "-",
        created=staff.time(t["created_at"]), channel=t["channel"],
        coordinate_due=staff.time(t["coordinate_due"]) + (
            late if open_ and t["coordinated_at"] is None and t["coordinate_due"] < now else ""),
        resolve_due=staff.time(t["resolve_due"]) + (late if open_ and t["resolve_due"] < now else ""),
        photos=sum(1 for k in photos if k == "citizen"),
        proof=staff.render(lang, "staff_proof_yes") if proof else "-",
        description=notify.identity_redact(t["description"], reporter)[:notify.MAX_DESCRIPTION],
        timeline="\n".join(timeline(ctx, reporter)) or "-",
    )
    if t["rating"] is not None:  # the citizen's latest rating (bot/ratings.py); their words redacted
        comment = notify.identity_redact(t["rating_comment"] or "", reporter)[:200]
        text += "\n" + staff.render(lang, "staff_rating", score=t["rating"], comment=f" ({comment})" if comment else "")
    if t["area_method"] in APPROXIMATE_METHODS:  # placed by the nearest centre, or waiting for an officer
        text += "\n" + staff.render(lang, f"staff_area_{t['area_method']}", tracking_id=t["tracking_id"])
    if flags:
        text += "\n" + staff.render(lang, "staff_reuse_warning", matches=staff.matches(flags, lang))
    for line in duplicate_lines(staff, conn, t, lang):
        text += "\n" + line
    text += email_auth_line(conn, t, lambda key, **f: staff.render(lang, key, **f))
    # Officers must know when updates cannot reach the citizen (STOP, blocked bot, bounces).
    if reporter is not None and reporter["opted_out"]:
        text += "\n" + staff.render(lang, "staff_reporter_opted_out")
    elif reporter is not None and reporter["unreachable"]:
        text += "\n" + staff.render(lang, "staff_reporter_unreachable")
    return Reply(text)


COMMAND = Command(
    name="lihat", aliases=("show", "view"), roles=ANY_ROLE, grammar="id",
    args_id="<nomor>", args_en="<number>", help_id="detail laporan", help_en="report details",
    readme_args="<id>", readme="details, deadlines, history (reporter never shown); any officer in scope", run=run,
)
