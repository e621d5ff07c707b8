"""Email-specific rules of the intake pipeline: when the thread window applies, and who may STOP.

Kept out of intake.py so the channel-neutral pipeline stays readable; the
email adapter puts what these rules need into ``reply_context``:
``is_reply`` (In-Reply-To, References or our subject tag), ``thread_subject``
(the subject without Re:/Fwd: and tag, "" when empty or generic),
``opens_ticket`` (list mail: a ticket, no automatic reply) and ``auth`` (the
SPF/DKIM/DMARC verdict of a trusted relay).
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import Connection, RowMapping

from bot.models import InboundMessage
from store import inbound as inbound_store
from store import repo

EMAIL = "email"


def window_ticket(
    conn: Connection, msg: InboundMessage, reporter_id: int, since: datetime, statuses: Iterable[str]
) -> RowMapping | None:
    """The open ticket a message joins only because its reporter wrote within the thread window.

    Other channels (and mail without a subject key): the reporter's latest open
    ticket on the same channel. Email that replies to nothing: a ticket whose
    mails have the same subject (a resend), or the latest one when the subject
    is empty or generic; a NEW subject is a new complaint and joins nothing.
    """
    ctx = msg.reply_context or {}
    if msg.channel != EMAIL or "thread_subject" not in ctx or ctx.get("is_reply"):
        latest = repo.latest_open_ticket(conn, reporter_id, statuses, since)
        return latest if latest is not None and latest["channel"] == msg.channel else None
    tickets = inbound_store.recent_tickets_on(conn, reporter_id, statuses, EMAIL, since)
    subject = str(ctx.get("thread_subject") or "")
    if not subject:
        return tickets[0] if tickets else None
    return next((t for t in tickets if subject in _ticket_subjects(conn, t["id"])), None)


def _ticket_subjects(conn: Connection, ticket_id: int) -> set[str]:
    """Subjects of the mails already on a ticket, including ones of this batch not yet marked processed."""
    pending = [o.message_id for o in conn.info.get("intake_batch", {}).values()
               if o.ticket_id == ticket_id and o.message_id is not None]
    rows = inbound_store.reply_contexts(conn, ticket_id, EMAIL, pending)
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


def reply_texts(msg: InboundMessage) -> list[str]:
    """Where a short answer ("5 cepat") may stand in a message: its text, and for an email reply also
    the body alone (the adapter puts the subject line first, then a blank line, then the body)."""
    texts = [msg.text or ""]
    if msg.channel == EMAIL and msg.reply_context.get("is_reply") and "\n\n" in texts[0]:
        texts.append(texts[0].split("\n\n", 1)[1])
    return texts
