"""Ticket state changes: validate, record the event, publish ``StatusChanged``.

``notify_of_status`` is the subscriber that tells the citizen (registered by
the composition root, first, so the citizen's message is queued before the
officers' post).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from sqlalchemy import Connection, RowMapping

from bot import followers
from bot.lifecycle import Status, check_transition
from bot.events import StatusChanged
from bot.outbox import OutboxPolicy, notify_reporter
from store import repo

# Status changes that start or stop the agency's clocks.
_COORDINATED = {Status.KOORDINASI, Status.DISPOSISI, Status.PROSES, Status.DITOLAK}


def transition(
    conn: Connection,
    policy: OutboxPolicy,
    now: datetime,
    ticket: RowMapping,
    to_status: str,
    actor: str,
    *,
    reason: str | None = None,
    reopen: bool = False,
    attachment_id: int | None = None,
    data: dict[str, Any] | None = None,
    **ticket_values: Any,
) -> RowMapping:
    """Move ``ticket`` to ``to_status`` (raising TransitionError if illegal).

    Stores a TicketEvent and queues the citizen's notification in the same
    transaction; returns the updated ticket row.
    """
    check_transition(ticket["status"], to_status, reason=reason, reopen=reopen)
    values: dict[str, Any] = dict(status=to_status, updated_at=now, **ticket_values)
    dst = Status(to_status)
    if dst in _COORDINATED and ticket["coordinated_at"] is None:
        values["coordinated_at"] = now
    if dst == Status.MENUNGGU_VALIDASI:
        values["proof_submitted_at"] = now
    if dst == Status.SELESAI:
        values["resolved_at"] = now
        values["closed_at"] = now
    if dst == Status.DITOLAK:
        values["closed_at"] = now
    if reopen:
        values["reopen_count"] = ticket["reopen_count"] + 1
        values["closed_at"] = None
        values["resolved_at"] = None
    # The SLA clock: pause in MENUNGGU_VALIDASI, credit the pause on leaving it,
    # a fresh resolve window on reopen (explicit ticket_values win).
    for key, value in policy.sla.on_transition(now, ticket, to_status, reopen=reopen).items():
        values.setdefault(key, value)
    repo.update_ticket(conn, ticket["id"], **values)
    repo.add_event(
        conn, ticket["id"], "reopen" if reopen else "status", actor, now,
        from_status=ticket["status"], to_status=to_status, reason=reason, public=True, data=data,
    )
    updated = repo.ticket_by_id(conn, ticket["id"])
    assert updated is not None
    # The citizen's notification and the officers' thread post are subscribers (bot.gateway).
    policy.events.publish(conn, now, StatusChanged(ticket, updated, actor, reason, reopen, attachment_id))
    return updated


def notify_of_status(current: Callable[[], OutboxPolicy]) -> Callable[[Connection, datetime, StatusChanged], int | None]:
    """The ``StatusChanged`` subscriber queuing the citizen's notification on the ticket's own channel.

    ``current`` returns the policy in force (the composition root's, read at each event).
    """

    def on_status(conn: Connection, now: datetime, event: StatusChanged) -> int | None:
        policy = current()
        if event.after.get("merged_into_id") is not None:  # ``gabung``: "merged with ..." instead
            return followers.tell_merged(conn, policy, now, event.after)
        message_id = tell_reporter(conn, policy, now, event)
        followers.tell_followers(conn, policy, now, event)  # each on their own channel
        return message_id

    def tell_reporter(conn: Connection, policy: OutboxPolicy, now: datetime, event: StatusChanged) -> int | None:
        updated, reason = event.after, event.reason
        reason_text = f" ({reason})" if reason else ""
        if updated["status"] == Status.SELESAI.value:
            reopen_url = policy.reopen_link(updated) if policy.reopen_link else None
            if reopen_url and policy.links_fit(updated["channel"]):
                return notify_reporter(conn, policy, now, updated, "proof_done_web", kind="status",
                                       attachment_id=event.attachment_id, reason=reason_text, reopen_url=reopen_url)
            return notify_reporter(conn, policy, now, updated, "proof_done", kind="status",
                                   attachment_id=event.attachment_id, reason=reason_text)
        if event.reopen:
            return notify_reporter(conn, policy, now, updated, "reopened", kind="status")
        return notify_reporter(conn, policy, now, updated, "status_changed", kind="status", reason=reason_text)

    return on_status
