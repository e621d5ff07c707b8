"""The Slack desk's side of domain events: ticket threads, and ``OfficerAlerts`` on them.

Subscribed at the composition root: a new ticket starts its thread, every
status change, follow-up and flagged proof becomes a line in it, and SLA
alerts go to the thread or (escalations) the supervisors' channel. All of it
is queued on the publisher's connection (``bot.staff.notify``).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from bot.events import CitizenUnreachable, CitizenWrote, EventBus, ProofSubmitted, StatusChanged, TicketCreated
from bot.staff import notify
from bot.staff.notify import StaffRouting
from bot.templates import Templates


class SlackThreads:
    """Ticket threads in Slack; ``routing`` is None when Slack is not enabled (then it posts nothing)."""

    def __init__(self, routing: StaffRouting | None, templates: Templates) -> None:
        self.routing = routing
        self.templates = templates

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(TicketCreated, self.on_created)
        bus.subscribe(CitizenWrote, self.on_citizen)
        bus.subscribe(StatusChanged, self.on_status)
        bus.subscribe(ProofSubmitted, self.on_proof)
        bus.subscribe(CitizenUnreachable, self.on_unreachable)

    # -- subscribers -------------------------------------------------------

    def on_created(self, conn: Connection, now: datetime, event: TicketCreated) -> int | None:
        if self.routing is None:
            return None
        return notify.on_new_ticket(conn, self.routing, self.templates, now, event.ticket, photos=event.photos)

    def on_citizen(self, conn: Connection, now: datetime, event: CitizenWrote) -> int | None:
        if self.routing is None:
            return None
        return notify.on_citizen_message(conn, self.templates, now, event.ticket, event.text,
                                         from_reporter=event.from_reporter, photos=event.photos)

    def on_status(self, conn: Connection, now: datetime, event: StatusChanged) -> int | None:
        # Tickets keep their thread even if Slack was switched off since: no routing check here.
        return notify.on_transition(conn, self.templates, now, event.before, event.after, event.actor, event.reason,
                                    reopen=event.reopen)

    def on_proof(self, conn: Connection, now: datetime, event: ProofSubmitted) -> int | None:
        if not event.matches:
            return None
        lang = notify.thread_language(conn, event.ticket["id"])
        if lang is None:
            return None
        text = self.templates.render("staff_post_proof_reuse", lang, tracking_id=event.ticket["tracking_id"],
                                     matches=notify.render_matches(self.templates, event.matches, lang))
        return notify.queue_staff_message(conn, now, event.ticket["id"], text)

    def on_unreachable(self, conn: Connection, now: datetime, event: CitizenUnreachable) -> int | None:
        """Never silent: the ticket's thread says the citizen could not be reached on their channel."""
        lang = notify.thread_language(conn, event.ticket["id"])
        if lang is None:
            return None
        fallback = self.templates.render("staff_post_fallback", lang, channel=event.fallback) if event.fallback else ""
        text = self.templates.render("staff_post_unreachable", lang, tracking_id=event.ticket["tracking_id"],
                                     channel=event.channel, fallback=fallback)
        return notify.queue_staff_message(conn, now, event.ticket["id"], text)

    # -- OfficerAlerts -------------------------------------------------------

    def ticket_post(self, conn: Connection, now: datetime, ticket_id: int, text: str, *,
                    kind: str | None = None) -> int | None:
        return notify.queue_staff_message(conn, now, ticket_id, text, kind=kind)

    def escalation(self, conn: Connection, now: datetime, ticket_id: int, text: str, *,
                   kind: str | None = None) -> int | None:
        return notify.queue_staff_message(conn, now, ticket_id, text, escalate=True, kind=kind)
