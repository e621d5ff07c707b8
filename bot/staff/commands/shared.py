"""Steps several commands share: refusing closed tickets, telling a new agency's channel."""
from __future__ import annotations

from typing import Any

from bot.lifecycle import CLOSED_STATUSES
from bot.outbox import enqueue
from bot.staff import notify
from bot.staff.commands.base import CommandContext, Reply
from store import repo


def closed_refusal(ctx: CommandContext) -> Reply | None:
    """The answer for a command that needs an open ticket, or None when it is open."""
    t = ctx.t
    if t["status"] in CLOSED_STATUSES:
        return ctx.render("staff_closed", tracking_id=t["tracking_id"], status=ctx.staff.label(t["status"], ctx.lang))
    return None


def handoff(ctx: CommandContext, t: Any, agency: str | None, unit: str | None) -> None:
    """A ticket moved to an agency with its own channel: tell that channel too."""
    staff, conn, now = ctx.staff, ctx.db, ctx.now
    routing = notify.staff_routing(staff.config)
    row = notify.thread_row(conn, t["id"])
    if routing is None or row is None:
        return
    channel = routing.channel_for({"agency_code": agency, "unit": unit, "area_code": t["area_code"]})
    if not channel or channel == row["channel"]:
        return
    lang = row["language"]
    reporter = repo.get_reporter(conn, t["reporter_id"])
    text = staff.render(lang, "staff_post_handoff", tracking_id=t["tracking_id"],
                        agency=staff.agency(unit or agency), category=staff.category(t["category_code"], lang),
                        area=notify.area_label(conn, t["area_code"]), resolve_due=staff.time(t["resolve_due"]),
                        description=notify.identity_redact(t["description"], reporter)[:notify.MAX_DESCRIPTION])
    enqueue(conn, now, channel=notify.CHANNEL, recipient=channel, text=text, kind="staff_handoff",
            ticket_id=t["id"], reply_context={"ticket_id": t["id"], "top_level": True})
