"""``baru|new <phone|wa:phone|email|-> [asal=<origin>] <text>``: a walk-in, letter or phone report typed by an officer.

It goes through the normal intake pipeline (channel ``sms``, ``whatsapp`` or
``email``, ``standalone=True``), then the ticket records who typed it. The
ticket's ``source`` is the origin (``parse.ORIGINS``; ``counter`` when not
given), distinct from the channel updates go to. ``-`` (no updates wanted)
uses the pseudo-channel ``counter`` with a reporter marked opted out, so
nothing is ever queued for them. The web console's intake form runs this too.
"""
from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime

from sqlalchemy import Connection

from bot.models import InboundMessage
from bot.staff.commands.base import ANY_ROLE, INTAKE, Command, CommandContext, Reply
from bot.staff.commands.parse import COUNTER
from store import repo

log = logging.getLogger(__name__)


async def run(ctx: CommandContext) -> Reply:
    staff, member, args, origin = ctx.staff, ctx.officer, ctx.args, ctx.origin
    assert args.contact_channel and (args.contact or args.contact_channel == "none")
    channel, sender = args.contact_channel, args.contact or ""
    if channel == "none":
        channel, sender = COUNTER, f"{COUNTER}:{uuid.uuid4().hex}"
        await staff.db.write(_no_updates, sender, staff.clock.now())
    msg = InboundMessage(
        channel=channel, external_id=f"staff:{member.code}:{uuid.uuid4().hex}", sender=sender,
        text=args.text, standalone=True, auto_reply=True, source=args.source or COUNTER,
        raw=json.dumps({"counter_report_by": member.code, "via": origin}),
    )
    (outcome,) = await staff.intake.submit([msg])
    if outcome.action != "new_ticket" or outcome.ticket_id is None:
        log.warning("counter report by %s did not open a ticket (%s)", member.code, outcome.action)
        return ctx.render("staff_error")
    now = staff.clock.now()

    def audit(conn: Connection) -> None:
        repo.add_event(conn, outcome.ticket_id, "counter_report", member.actor, now,
                       data={"via": origin, "channel": args.contact_channel, "source": msg.source})
        tl = staff.thread_lang(conn, outcome.ticket_id)
        staff.post(conn, now, outcome.ticket_id, "staff_post_counter_report", tracking_id=outcome.tracking_id,
                   actor=staff.actor(conn, outcome.ticket_id, member.actor),
                   channel=staff.render(tl, f"staff_contact_{args.contact_channel}"))

    await staff.db.write(audit)
    reply = ctx.render("staff_ok_new", tracking_id=outcome.tracking_id,
                       channel=staff.render(ctx.lang, f"staff_contact_{args.contact_channel}"),
                       contact=mask_contact(args.contact or "-"))
    return Reply(reply.text, tracking_id=outcome.tracking_id)


def _no_updates(conn: Connection, address: str, now: datetime) -> None:
    """A reporter who asked for no updates: opted out from the start, so nothing is queued for them."""
    reporter = repo.get_or_create_reporter(conn, COUNTER, address, now, None, None)
    repo.update_reporter(conn, reporter["id"], now, opted_out=True)


def mask_contact(contact: str) -> str:
    """"+62812****789" / "a***@mail.id": enough for the officer to check, not to read out."""
    if len(contact) < 10 and "@" not in contact:
        return contact
    if "@" in contact:
        local, _, domain = contact.partition("@")
        return f"{local[:1]}***@{domain}"
    return contact[:6] + "****" + contact[-3:]


COMMAND = Command(
    name="baru", aliases=("new",), roles=ANY_ROLE, grammar="contact_text", data=INTAKE,
    args_id="<no-hp|wa:no-hp|email|-> [asal=..] <isi laporan>", args_en="<phone|wa:phone|email|-> [from=..] <report text>",
    help_id="laporan tatap muka/surat atas nama warga", help_en="walk-in/letter report on behalf of a citizen",
    readme_args="<phone\\|wa:phone\\|email\\|-> [asal\\|from=<origin>] <text>",
    readme="counter/letter report: intake on `sms`, `whatsapp` or `email` (`-`: no updates), `standalone=True`; "
           "`ticket.source` = the origin", run=run,
)
