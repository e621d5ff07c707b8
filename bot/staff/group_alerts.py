"""``OfficerAlerts`` in the Telegram staff group: one group chat hears every ticket's alerts.

The desk for deployments without Slack threads (or for tickets whose thread
never started): the alert goes to the configured ``staff_chat_id`` through
the outbox (channel ``telegram``).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from bot.outbox import enqueue


class TelegramGroupAlerts:
    def __init__(self, chat_id: int | str) -> None:
        self.chat_id = str(chat_id)

    def ticket_post(self, conn: Connection, now: datetime, ticket_id: int, text: str, *,
                    kind: str | None = None) -> int | None:
        return enqueue(conn, now, channel="telegram", recipient=self.chat_id, text=text,
                       kind=kind or "staff_event", ticket_id=ticket_id)

    def escalation(self, conn: Connection, now: datetime, ticket_id: int, text: str, *,
                   kind: str | None = None) -> int | None:
        return enqueue(conn, now, channel="telegram", recipient=self.chat_id, text=text,
                       kind=kind or "staff_escalation", ticket_id=ticket_id)


class SlackOutboxAlerts:
    """The desk of last resort, used only when no staff desk is wired: a plain outbox message on ``slack``
    to the ticket's agency channel (escalations and agencies without one: recipient ``staff``)."""

    def __init__(self, agency_channels: dict[str, str]) -> None:
        self.agency_channels = agency_channels

    def _agency_channel(self, conn: Connection, ticket_id: int) -> str | None:
        from store import repo

        ticket = repo.ticket_by_id(conn, ticket_id)
        return self.agency_channels.get(ticket["agency_code"] or "") if ticket is not None else None

    def ticket_post(self, conn: Connection, now: datetime, ticket_id: int, text: str, *,
                    kind: str | None = None) -> int | None:
        recipient = self._agency_channel(conn, ticket_id) or "staff"
        return enqueue(conn, now, channel="slack", recipient=recipient, text=text, kind=kind or "sla_warning",
                       ticket_id=ticket_id)

    def escalation(self, conn: Connection, now: datetime, ticket_id: int, text: str, *,
                   kind: str | None = None) -> int | None:
        return enqueue(conn, now, channel="slack", recipient="staff", text=text, kind=kind or "sla_breach",
                       ticket_id=ticket_id)
