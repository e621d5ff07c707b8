"""The messaging window, handled once for every channel that declares one (WhatsApp, Messenger).

A channel's ``Capabilities.window`` says how long after the citizen's last message the business
may write freely, and what the provider allows afterwards (templates, tags or nothing). The core
knows when each reporter last wrote (``reporter.last_inbound_at``, set by intake) and:

- when queuing (``notify_reporter``): a message the adapter has no allowed path for outside a
  closed window is not queued on that channel; it is recorded as not deliverable with the reason,
  shown in the officers' view of the ticket (event ``undeliverable``), and sent instead on another
  reachable channel of the same person (same address: WhatsApp <-> SMS), which is recorded too;
- when sending (``bot/delivery.py``): ``OutboundMessage.outside_window`` tells the adapter to use
  its template or tag.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from sqlalchemy import Connection, RowMapping

from adapters.contract.channel import MessagingWindow
from adapters.contract.rows import RowLike
from bot.events import CitizenUnreachable, EventBus
from bot.templates import Templates
from store import reach, repo
from store.outbox import lane_name


@dataclass(frozen=True)
class WindowPolicy:
    """What the core asks the adapters about windows (the composition root binds them to the registry)."""

    window: Callable[[str], MessagingWindow | None] = lambda channel: None
    # The tag / template the adapter would use outside the window for (channel, kind, template), or None.
    path: Callable[[str, str, str | None], str | None] = lambda channel, kind, template: None
    served: Callable[[str], bool] = lambda channel: True


def variant(policy: WindowPolicy, templates: Templates, channel: str, template: str) -> str:
    """``<template>_window`` where the channel has a window and such a text exists (e.g. ``ack_new_window``
    invites the citizen to reply ``CEK <id>`` at any time, which reopens the conversation), else ``template``."""
    windowed = f"{template}_window"
    return windowed if policy.window(channel) is not None and templates.has(windowed) else template


def closed(window: MessagingWindow | None, last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether a channel with ``window`` may no longer carry free-form messages to this person."""
    if window is None:
        return False
    if last_inbound_at is None:
        return True
    return now - last_inbound_at > timedelta(hours=window.hours)


def stamp(reporter: RowLike) -> str | None:
    """When the person last wrote, as kept in an outbound message's payload for the send-time check."""
    last = reporter.get("last_inbound_at")
    return last.isoformat() if isinstance(last, datetime) else None


def outside_at_send(window: MessagingWindow | None, payload: Mapping[str, Any], now: datetime) -> bool:
    """At send time: outside the window? Only messages queued with a stamp are checked (replies to a
    message just received carry none and are inside by construction)."""
    if window is None or "last_inbound_at" not in payload:
        return False
    raw = payload.get("last_inbound_at")
    return closed(window, datetime.fromisoformat(raw) if raw else None, now)


def parts_to_send(parts: list[Any], window: MessagingWindow | None, outside: bool) -> list[Any]:
    """Outside a template window one template says it all: only the last part (the one carrying the
    photo) is sent, so a text split in two never becomes two identical template messages."""
    if outside and window is not None and window.outside == "template":
        return parts[-1:]
    return parts


def blocked(policy: WindowPolicy, channel: str, kind: str, template: str | None, reporter: RowLike,
            now: datetime) -> str | None:
    """Why a message cannot go on ``channel`` now (window closed, no template/tag for it), else None."""
    window = policy.window(channel)
    if not closed(window, reporter.get("last_inbound_at"), now):
        return None
    if policy.path(channel, kind, template):
        return None
    assert window is not None
    allowed = {"template": "no approved template", "tag": "no allowed message tag"}.get(window.outside, "nothing")
    return (f"not deliverable on {channel}: the citizen last wrote more than {window.hours:g} hours ago "
            f"and {allowed} fits a {kind} message ({template or '-'})")


Enqueue = Callable[..., int]


def undeliverable(conn: Connection, policy: WindowPolicy, now: datetime, enqueue: Enqueue, *, reason: str,
                  ticket: RowLike, reporter: RowMapping, kind: str, template: str | None, text: str,
                  payload: dict[str, Any], attachment_id: int | None,
                  reachable: Callable[[str, str], bool], events: EventBus) -> int | None:
    """Record the message as not deliverable on its channel, then try the person's other channels.

    Returns the id of the message queued on a fallback channel, or None when there was none.
    """
    channel, address = reporter["channel"], reporter["address"]
    repo.insert(conn, repo.T_MESSAGE, dict(
        channel=channel, direction="out", recipient=address, reporter_id=reporter["id"], ticket_id=ticket["id"],
        kind=kind, lane=lane_name(channel, kind), text=text, status="failed", error=reason, attempts=0,
        parts_sent=0, attachment_id=attachment_id, payload=repo.dumps(payload), reply_context=repo.dumps({}),
        created_at=now, updated_at=now))
    return reach_elsewhere(conn, policy, now, enqueue, reason=reason, ticket=ticket, reporter=reporter, kind=kind,
                           template=template, text=text, payload=payload, attachment_id=attachment_id,
                           reachable=reachable, events=events)


def reach_elsewhere(conn: Connection, policy: WindowPolicy, now: datetime, enqueue: Enqueue, *, reason: str,
                    ticket: RowLike, reporter: RowMapping, kind: str, template: str | None, text: str,
                    payload: dict[str, Any], attachment_id: int | None,
                    reachable: Callable[[str, str], bool], events: EventBus) -> int | None:
    """A message could not go on the reporter's channel: send it on the same person's other reachable
    channel if there is one, and tell the officers either way (event ``undeliverable``, ``CitizenUnreachable``)."""
    channel, address = reporter["channel"], reporter["address"]
    fallback_id, used = None, None
    for other in reach.other_reporters(conn, address, channel):
        ch = other["channel"]
        if not policy.served(ch) or not reachable(ch, address) or blocked(policy, ch, kind, template, other, now):
            continue
        fallback_id = enqueue(conn, now, channel=ch, recipient=address, text=text, kind=kind,
                              ticket_id=ticket["id"], reporter_id=other["id"],
                              payload={**payload, "fallback_from": channel, "last_inbound_at": stamp(other)},
                              attachment_id=attachment_id)
        used = ch
        break
    repo.add_event(conn, ticket["id"], "undeliverable", "system", now, reason=reason,
                   data={"channel": channel, "fallback_channel": used, "kind": kind})
    events.publish(conn, now, CitizenUnreachable(ticket, channel, used, reason))  # the officers' thread
    return fallback_id


def refused_at_send(conn: Connection, policy: WindowPolicy, now: datetime, enqueue: Enqueue, message_id: int, *,
                    reachable: Callable[[str, str], bool], events: EventBus) -> int | None:
    """The provider refused a message as outside its window although our clock thought it open (the
    delivery recorded it failed): the same fallback and notice as a message blocked when queued."""
    row = repo.message_by_id(conn, message_id)
    if row is None or row["ticket_id"] is None or row["reporter_id"] is None or row["status"] != "failed":
        return None
    ticket = repo.ticket_by_id(conn, row["ticket_id"])
    reporter = repo.get_reporter(conn, row["reporter_id"])
    if ticket is None or reporter is None:
        return None
    payload = repo.loads(row["payload"]) or {}
    return reach_elsewhere(conn, policy, now, enqueue, reason=row["error"] or "outside messaging window",
                           ticket=ticket, reporter=reporter, kind=row["kind"], template=payload.get("template"),
                           text=row["text"], payload=payload, attachment_id=row["attachment_id"],
                           reachable=reachable, events=events)
