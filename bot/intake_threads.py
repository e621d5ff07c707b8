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
"""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import Connection

from bot.models import InboundMessage
from store import repo

_PREFETCHED = "intake_thread_refs"
_THIS_GROUP = "intake_batch"  # outcomes of the group's messages by (channel, external id): bot.intake


def prefetch(conn: Connection, messages: Sequence[InboundMessage]) -> None:
    """Resolve the references of all ``messages`` against the stored messages, in one go."""
    by_channel: dict[str, list[str]] = {}
    for msg in messages:
        by_channel.setdefault(msg.channel, []).extend(repo.thread_refs_used(msg.thread_refs))
    conn.info[_PREFETCHED] = {channel: repo.thread_ref_messages(conn, channel, refs)
                              for channel, refs in by_channel.items() if refs}


def forget(conn: Connection) -> None:
    conn.info.pop(_PREFETCHED, None)


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
