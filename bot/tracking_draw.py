"""Tracking IDs for a group commit's new tickets: drawn together, and checked against the table in one statement.

A body has 31**7 (27.5 billion) values, so two random IDs almost never meet; but a new ID meets one of a
history's: at 1,000,000 tickets about one new ID in 27,500 is taken already. Inside a group commit the ticket is
written behind (store.writebehind), so a taken ID surfaced only at the flush, failed the whole group, and the
group was redone message by message (a few hundred savepoints): at that history, about once per 100 groups of 256.
Drawing a group's IDs up front and leaving out the taken ones costs one index probe per ID in one statement.

What is left, two processes drawing the same new ID at the same moment, is still caught where it always was (the
unique index; the group is redone one by one, where ``insert_ticket`` draws again).
"""
from __future__ import annotations

from sqlalchemy import Connection

from bot.tracking import new_tracking_id
from store import repo

_DRAWN = "aduan_tracking_ids_drawn"  # conn.info: IDs checked free in this transaction, for its new tickets


def draw(conn: Connection, prefix: str, count: int) -> None:
    """Draw ``count`` distinct IDs that no ticket holds, for this transaction's new tickets to take."""
    free: set[str] = set()
    while len(free) < count:
        drawn = {new_tracking_id(prefix) for _ in range(count - len(free))} - free
        free |= drawn - repo.taken_tracking_ids(conn, drawn)
    conn.info[_DRAWN] = list(free)


def take(conn: Connection, prefix: str) -> str:
    """An ID for a new ticket: one drawn for this transaction, else a fresh one (checked by the insert itself)."""
    drawn = conn.info.get(_DRAWN)
    return drawn.pop() if drawn else new_tracking_id(prefix)


def forget(conn: Connection) -> None:
    conn.info.pop(_DRAWN, None)
