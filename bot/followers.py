"""Followers of a ticket (issue 15): citizens told of its changes besides its reporter, each on their own channel.

A follower is a reporter row (a channel and an address): someone who chose "Ini laporan yang sama" on /lapor,
or the reporter of a ticket merged into this one (``gabung``). Each message is rendered for that follower
alone (their language, their channel; the public text redacted with their identity), so no citizen ever
sees another's name or address. Opted-out and unreachable followers are skipped by ``notify_reporter``.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping

from adapters.contract.rows import RowLike
from bot.events import StatusChanged
from bot.lifecycle import Status
from bot.outbox import OutboxPolicy, notify_reporter
from store import duplicates as store
from store import repo


def notify_as_follower(conn: Connection, policy: OutboxPolicy, now: datetime, ticket: RowLike, follower: RowMapping,
                       template: str, *, kind: str, **fields: Any) -> int | None:
    """One message about ``ticket`` to one follower, on the follower's channel."""
    on_their_channel = dict(ticket, channel=follower["channel"])
    return notify_reporter(conn, policy, now, on_their_channel, template, kind=kind, reporter=follower, **fields)


def tell_followers(conn: Connection, policy: OutboxPolicy, now: datetime, event: StatusChanged) -> list[int]:
    """A status change of a ticket, to each of its followers (the reporter is told by ``notify_of_status``)."""
    updated = event.after
    sent = []
    for follower in store.followers(conn, updated["id"]):
        if follower["id"] == updated["reporter_id"]:
            continue
        reason = f" ({event.reason})" if event.reason else ""
        if updated["status"] == Status.SELESAI.value:
            # No reopen offer: reopening is the reporter's (a follower may report again).
            message = notify_as_follower(conn, policy, now, updated, follower, "follower_done", kind="status",
                                         attachment_id=event.attachment_id, reason=reason)
        elif event.reopen:
            message = notify_as_follower(conn, policy, now, updated, follower, "reopened", kind="status")
        else:
            message = notify_as_follower(conn, policy, now, updated, follower, "status_changed", kind="status",
                                         reason=reason)
        if message is not None:
            sent.append(message)
    return sent


def tell_merged(conn: Connection, policy: OutboxPolicy, now: datetime, merged: RowLike) -> int | None:
    """The merged ticket's reporter and followers: "your report was merged with ...; updates come from there"."""
    main = repo.ticket_by_id(conn, merged["merged_into_id"])
    if main is None:
        return None
    fields = dict(main_tracking_id=main["tracking_id"], main_url=policy.tracking_url(main["tracking_id"]))
    first = notify_reporter(conn, policy, now, merged, "merged_into", kind="status", **fields)
    for follower in store.followers(conn, merged["id"]):
        if follower["id"] != merged["reporter_id"]:
            notify_as_follower(conn, policy, now, merged, follower, "merged_into", kind="status", **fields)
    return first


def follow(conn: Connection, ticket: RowLike, reporter_id: int, via: str, now: datetime) -> bool:
    """Make a citizen a follower (not the ticket's own reporter); False when nothing changed."""
    if reporter_id == ticket["reporter_id"]:
        return False
    return store.add_follower(conn, ticket["id"], reporter_id, via, now)
