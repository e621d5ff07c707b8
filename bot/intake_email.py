"""Email-specific rules of the intake pipeline: when the thread window applies, and who may STOP.

Kept out of intake.py so the channel-neutral pipeline stays readable; the
email adapter puts what these rules need into ``reply_context``:
``is_reply`` (In-Reply-To, References or our subject tag), ``thread_subject``
(the subject without Re:/Fwd: and tag, "" when empty or generic),
``opens_ticket`` (list mail: a ticket, no automatic reply) and ``auth`` (the
SPF/DKIM/DMARC verdict of a trusted relay).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, or_, select

from bot.models import InboundMessage
from store import repo

EMAIL = "email"


def window_may_thread(conn: Connection, msg: InboundMessage, ticket: Any) -> bool:
    """Whether a mail may join ``ticket`` only because it came from the same reporter within the window.

    A mail that replies to nothing and has a NEW subject is a new complaint: it
    starts its own ticket. A resend with the same subject (or no subject worth
    the name) still threads, like a second chat message would.
    """
    ctx = msg.reply_context or {}
    if msg.channel != EMAIL or "thread_subject" not in ctx or ctx.get("is_reply"):
        return True
    subject = str(ctx.get("thread_subject") or "")
    return not subject or subject in _ticket_subjects(conn, ticket["id"])


def _ticket_subjects(conn: Connection, ticket_id: int) -> set[str]:
    """Subjects of the mails already on a ticket, including ones of this batch not yet marked processed."""
    M = repo.T_MESSAGE
    pending = [o.message_id for o in conn.info.get("intake_batch", {}).values()
               if o.ticket_id == ticket_id and o.message_id is not None]
    where = or_(M.c.ticket_id == ticket_id, M.c.id.in_(pending)) if pending else M.c.ticket_id == ticket_id
    rows = conn.execute(select(M.c.reply_context).where(where, M.c.direction == "in", M.c.channel == EMAIL)
                        .order_by(M.c.id).limit(100)).scalars()
    return {str((repo.loads(raw) or {}).get("thread_subject") or "") for raw in rows} - {""}


def opens_ticket_without_reply(msg: InboundMessage) -> bool:
    """List mail: no automatic answer, but a person's report all the same."""
    return msg.channel == EMAIL and not msg.auto_reply and bool((msg.reply_context or {}).get("opens_ticket"))


def stop_verified(msg: InboundMessage) -> bool:
    """An email STOP counts only with an aligned SPF/DKIM/DMARC pass vouching for the reporter's address.

    Anyone can write any From; without this, one forged mail opts a victim out.
    Other channels authenticate the sender themselves (phone number, chat id).
    """
    if msg.channel != EMAIL:
        return True
    auth = (msg.reply_context or {}).get("auth") or {}
    return bool(auth.get("verified"))
