"""Officer alerts: the one protocol through which the core reaches officers.

A staff desk (the Slack ticket threads, the Telegram staff group, later the
web console) implements ``OfficerAlerts``. The ``OfficerAlertRouter`` is the
subscriber of ``SlaAlertRaised`` events: it offers each alert to the desks in the
order the composition root registered them and keeps the first that queued
it (Slack's thread first, then the Telegram group for tickets without one).
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection

from bot.events import SlaAlertRaised

log = logging.getLogger(__name__)


class OfficerAlerts(Protocol):
    """A desk officers read. Both methods queue in the caller's transaction and return the outbox id, or None
    when this desk cannot reach the ticket's officers."""

    def ticket_post(self, conn: Connection, now: datetime, ticket_id: int, text: str, *,
                    kind: str | None = None) -> int | None:
        """A line in the ticket's conversation (e.g. its Slack thread)."""

    def escalation(self, conn: Connection, now: datetime, ticket_id: int, text: str, *,
                   kind: str | None = None) -> int | None:
        """Something supervisors must see (e.g. the agency's supervisor channel)."""


class OfficerAlertRouter:
    """Delivers ``SlaAlertRaised`` events to the first desk that takes them; ``fallback`` when no desk is wired."""

    def __init__(self, desks: list[OfficerAlerts] | None = None, fallback: OfficerAlerts | None = None) -> None:
        self.desks: list[OfficerAlerts] = list(desks or [])
        self.fallback = fallback

    def on_sla(self, conn: Connection, now: datetime, event: SlaAlertRaised) -> int | None:
        desks = self.desks or ([self.fallback] if self.fallback is not None else [])
        for desk in desks:
            send = desk.escalation if event.escalate else desk.ticket_post
            message_id = send(conn, now, event.ticket_id, event.text, kind=event.kind)
            if message_id is not None:
                return message_id
        log.warning("SLA %s for ticket %s not queued: the ticket has no Slack thread and no other desk took it",
                    event.kind, event.ticket_id)
        return None
