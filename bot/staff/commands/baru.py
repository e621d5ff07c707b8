"""``baru|new <phone|email> <text>``: a walk-in, letter or phone report typed by an officer.

It goes through the normal intake pipeline (channel ``sms`` or ``email``,
``standalone=True``), then the ticket records who typed it.
"""
from __future__ import annotations

import json
import logging
import uuid

from sqlalchemy import Connection

from bot.models import InboundMessage
from bot.staff.commands.base import ANY_ROLE, INTAKE, Command, CommandContext, Reply
from store import repo

log = logging.getLogger(__name__)


async def run(ctx: CommandContext) -> Reply:
    staff, member, args, origin = ctx.staff, ctx.officer, ctx.args, ctx.origin
    assert args.contact and args.contact_channel
    msg = InboundMessage(
        channel=args.contact_channel, external_id=f"staff:{member.code}:{uuid.uuid4().hex}", sender=args.contact,
        text=args.text, standalone=True, auto_reply=True,
        raw=json.dumps({"counter_report_by": member.code, "via": origin}),
    )
    (outcome,) = await staff.intake.submit([msg])
    if outcome.action != "new_ticket" or outcome.ticket_id is None:
        log.warning("counter report by %s did not open a ticket (%s)", member.code, outcome.action)
        return ctx.render("staff_error")
    now = staff.clock.now()

    def audit(conn: Connection) -> None:
        repo.add_event(conn, outcome.ticket_id, "counter_report", member.actor, now,
                       data={"via": origin, "channel": args.contact_channel})
        tl = staff.thread_lang(conn, outcome.ticket_id)
        staff.post(conn, now, outcome.ticket_id, "staff_post_counter_report", tracking_id=outcome.tracking_id,
                   actor=staff.actor(conn, outcome.ticket_id, member.actor),
                   channel=staff.render(tl, f"staff_contact_{args.contact_channel}"))

    await staff.db.write(audit)
    return ctx.render("staff_ok_new", tracking_id=outcome.tracking_id,
                      channel=staff.render(ctx.lang, f"staff_contact_{args.contact_channel}"),
                      contact=mask_contact(args.contact))


def mask_contact(contact: str) -> str:
    """"+62812****789" / "a***@mail.id": enough for the officer to check, not to read out."""
    if "@" in contact:
        local, _, domain = contact.partition("@")
        return f"{local[:1]}***@{domain}"
    return contact[:6] + "****" + contact[-3:]


COMMAND = Command(
    name="baru", aliases=("new",), roles=ANY_ROLE, grammar="contact_text", data=INTAKE,
    args_id="<no-hp|email> <isi laporan>", args_en="<phone|email> <report text>",
    help_id="laporan tatap muka/surat atas nama warga", help_en="walk-in/letter report on behalf of a citizen",
    readme_args="<phone\\|email> <text>",
    readme="counter/letter report: intake with channel `sms` or `email`, `standalone=True`", run=run,
)
