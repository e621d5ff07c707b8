"""Domain events: what happened to a ticket, recorded inside the transaction that changed it.

Intake, ticket transitions and the SLA sweep publish an event on the
``EventBus``; subscribers registered at the composition root
(``bot.gateway``) turn it into outbox rows: the citizen's notification
(which is the partner callback on the partner channel), the officers'
thread post, an SLA alert. Subscribers run synchronously on the caller's
connection, so an event's outbox rows commit with the change or not at all
(the outbox's at-least-once guarantee holds). The core therefore names no
chat app: it says what happened, the desks decide who hears it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, TypeVar

from sqlalchemy import Connection

from adapters.contract.rows import RowLike


@dataclass(frozen=True)
class TicketCreated:
    """Intake opened a ticket (``ticket`` holds its columns and ``id``)."""

    ticket: RowLike
    photos: int = 0


@dataclass(frozen=True)
class CitizenWrote:
    """A follow-up on a ticket: from its reporter, or information from someone else."""

    ticket: RowLike
    text: str
    from_reporter: bool
    photos: int = 0


@dataclass(frozen=True)
class StatusChanged:
    """A ticket moved from ``before["status"]`` to ``after["status"]`` (``reopen``: a citizen reopened it)."""

    before: RowLike
    after: RowLike
    actor: str
    reason: str | None = None
    reopen: bool = False
    attachment_id: int | None = None


@dataclass(frozen=True)
class ProofSubmitted:
    """An officer submitted a proof photo; ``matches`` are reuse flags (empty when it looks new)."""

    ticket: RowLike
    attachment_id: int
    actor: str
    matches: tuple[RowLike, ...] = ()


@dataclass(frozen=True)
class SlaAlertRaised:
    """An SLA warning (``escalate`` False) or breach (True) for officers, already worded."""

    ticket_id: int
    kind: str  # sla_warning | sla_breach
    text: str
    escalate: bool


@dataclass(frozen=True)
class CitizenUnreachable:
    """A message could not go to the citizen on their channel (its messaging window closed, no
    template or tag allowed); ``fallback`` names the other channel used instead, if any (bot/window.py)."""

    ticket: RowLike
    channel: str
    fallback: str | None
    reason: str


Event = TicketCreated | CitizenWrote | StatusChanged | ProofSubmitted | SlaAlertRaised | CitizenUnreachable
E = TypeVar("E")
# A subscriber: (connection, now, event) -> the outbox id it queued, or None.
Subscriber = Callable[[Connection, datetime, Any], "int | None"]


class EventBus:
    """Subscribers per event type, called in subscription order on the publisher's connection."""

    def __init__(self) -> None:
        self._subscribers: dict[type, list[Subscriber]] = {}

    def subscribe(self, event_type: type[E], subscriber: Callable[[Connection, datetime, E], int | None]) -> None:
        self._subscribers.setdefault(event_type, []).append(subscriber)

    def publish(self, conn: Connection, now: datetime, event: Any) -> list[int]:
        """Run every subscriber of ``type(event)``; returns the outbox ids they queued.

        A subscriber's exception propagates: the transaction rolls back rather
        than commit a change whose notifications were lost.
        """
        queued = []
        for subscriber in self._subscribers.get(type(event), ()):
            message_id = subscriber(conn, now, event)
            if message_id is not None:
                queued.append(message_id)
        return queued
