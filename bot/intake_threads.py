"""Provider thread references (email Message-IDs, tweet ids) resolved for a whole group commit (issue 16).

Every mail lists its own Message-ID among its references, so every mail used to look its thread
up with a read of its own; inside a group commit each such read also flushed the write-behind
queue (store.writebehind) first, so the previous mail's ticket, event, reply and photo rows went
in one statement each instead of one executemany per table for the whole group.

``prefetch`` reads the references of every message of a group with one statement per channel,
before the group writes anything; ``ticket_for`` then answers each message from that and from
the group's own messages processed so far. Outside a group (no prefetch) it is the live lookup.

Why the group's own messages count: a reply to a mail of the same group refers to a row the group
inserted without a ticket (``bot.intake.mark_processed`` sets it when the group ends); that row's
ticket is the earlier message's outcome. The group's rows are newer than any row stored before
it, so they win, as ``ORDER BY id DESC LIMIT 1`` would once the earlier message is marked. The
outbound replies a group queues get their provider ids only when sent, in a later transaction,
so nothing else a group writes can match a reference.

The tickets those references, and the tracking IDs quoted in the texts, point to are read in the
same go (``ticket_row``, ``ticket_by_tracking_id``): a read in the middle of a group flushes the
write-behind queue and, on the writer thread, gives the event loop the GIL for up to a switch
interval (sqlite3 releases it around every statement). A prefetched row stands for the live one
until a message of the group may have changed that ticket: then the live read runs.
"""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Connection, RowMapping

from bot.models import InboundMessage
from bot.textnorm import MATCH_CHARS
from bot.tracking import find_tracking_ids
from store import repo

_PREFETCHED = "intake_thread_refs"
_TICKETS = "intake_thread_tickets"  # (rows by id, rows by tracking id), read with the references
_QUOTED = "intake_quoted_ids"  # the tracking IDs quoted in each message's text, by id(message)
_THIS_GROUP = "intake_batch"  # outcomes of the group's messages by (channel, external id): bot.intake


def prefetch(conn: Connection, messages: Sequence[InboundMessage], prefix: str) -> None:
    """Resolve the references of all ``messages`` against the stored messages, and read the tickets
    they and the tracking IDs quoted in the texts (as ``bot.intake`` looks them up) point to, in one go."""
    by_channel: dict[str, list[str]] = {}
    quoted = conn.info[_QUOTED] = {id(msg): quoted_tracking_ids(conn, msg, prefix) for msg in messages}
    for msg in messages:
        by_channel.setdefault(msg.channel, []).extend(repo.thread_refs_used(msg.thread_refs))
    found = {channel: repo.thread_ref_messages(conn, channel, refs) for channel, refs in by_channel.items() if refs}
    conn.info[_PREFETCHED] = found
    ids = {hit[1] for hits in found.values() for hit in hits.values() if hit[1] is not None}
    rows = repo.tickets_by_ids_or_tracking_ids(conn, sorted(ids), sorted({q for qs in quoted.values() for q in qs}))
    conn.info[_TICKETS] = ({row["id"]: row for row in rows}, {row["tracking_id"]: row for row in rows})


def quoted_tracking_ids(conn: Connection, msg: InboundMessage, prefix: str) -> list[str]:
    """The tracking IDs quoted in ``msg``'s text, in order (none for a standalone report); found once per
    message of a group, by the prefetch."""
    prefetched: dict[int, list[str]] | None = conn.info.get(_QUOTED)
    if prefetched is not None and id(msg) in prefetched:
        return prefetched[id(msg)]
    return [] if msg.standalone else find_tracking_ids((msg.text or "")[:MATCH_CHARS], prefix)


def forget(conn: Connection) -> None:
    conn.info.pop(_PREFETCHED, None)
    conn.info.pop(_TICKETS, None)
    conn.info.pop(_QUOTED, None)


# Outcomes (bot.intake_types.IntakeOutcome.action) after which the tickets a group read ahead still hold:
# a new ticket or an automatic mail changes no stored ticket; a duplicate changes nothing; appending,
# a note and following change only the ticket in their outcome. Anything else (commands, ratings,
# locations, edits) may change a ticket its outcome does not name: the live read runs after it.
_CHANGES_NOTHING = frozenset({"new_ticket", "automatic", "duplicate"})
_CHANGES_ITS_TICKET = frozenset({"appended", "note", "followed"})


def _still_valid(conn: Connection, row: RowMapping | None) -> RowMapping | None:
    if row is None:
        return None
    this_group: dict[Any, Any] = conn.info.get(_THIS_GROUP, {})
    for outcome in this_group.values():
        if outcome.action in _CHANGES_NOTHING:
            continue
        if outcome.action not in _CHANGES_ITS_TICKET or outcome.ticket_id == row["id"]:
            return None
    return row


def ticket_row(conn: Connection, ticket_id: int) -> RowMapping | None:
    """``repo.ticket_by_id``, from the group's prefetch while no message of the group may have changed it."""
    prefetched = conn.info.get(_TICKETS)
    row = _still_valid(conn, prefetched[0].get(ticket_id)) if prefetched else None
    return row if row is not None else repo.ticket_by_id(conn, ticket_id)


def ticket_by_tracking_id(conn: Connection, tracking_id: str) -> RowMapping | None:
    """``repo.ticket_by_tracking_id``, from the group's prefetch in the same way (an ID not found there is
    read live: the prefetch ran before the group created any ticket)."""
    prefetched = conn.info.get(_TICKETS)
    row = _still_valid(conn, prefetched[1].get(tracking_id)) if prefetched else None
    return row if row is not None else repo.ticket_by_tracking_id(conn, tracking_id)


def ticket_for(conn: Connection, msg: InboundMessage) -> int | None:
    """The ticket of the newest message (stored, or processed earlier in this group) that ``msg``
    refers to; the same answer as ``repo.ticket_for_thread_refs`` after each message is marked."""
    prefetched: dict[str, dict[str, tuple[int, int]]] | None = conn.info.get(_PREFETCHED)
    if prefetched is None:  # one message on its own: nothing was read ahead
        return repo.ticket_for_thread_refs(conn, msg.channel, msg.thread_refs)
    stored = prefetched.get(msg.channel, {})
    this_group = conn.info.get(_THIS_GROUP, {})
    newest: tuple[int, int] | None = None
    for ref in repo.thread_refs_used(msg.thread_refs):
        earlier = this_group.get((msg.channel, ref))
        for hit in (stored.get(ref),
                    (earlier.message_id, earlier.ticket_id) if earlier is not None else None):
            if hit is not None and hit[1] is not None and hit[0] is not None \
                    and (newest is None or hit[0] > newest[0]):
                newest = hit
    return newest[1] if newest is not None else None
