"""The email/Twitter thread lookup is served by the unique index, never a scan of the message table (issue 16)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import Connection, event, text

from store import repo
from store.db import Database


def _plan(conn: Connection, channel: str, refs: list[str], lookup: Any = repo.ticket_for_thread_refs) -> str:
    """The plan of the statement the real lookup executes, one line per plan node."""
    seen: list[tuple[str, Any]] = []

    def capture(c: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", capture)
    lookup(conn, channel, refs)
    event.remove(conn, "before_cursor_execute", capture)
    ((statement, parameters),) = seen
    if conn.dialect.name == "sqlite":
        return " | ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
    # The planner needs a table with statistics: most messages are on one channel (rolled back with the test).
    ticket = _rows(conn)[1]
    conn.execute(text(
        "INSERT INTO message (channel, direction, external_id, ticket_id, text, status, attempts, parts_sent, "
        "created_at, updated_at, kind) SELECT 'email', 'in', 'm' || g || '@mail.example', :t, '', 'processed', 0, 0, "
        "now(), now(), 'report' FROM generate_series(1, 20000) g"), {"t": ticket})
    conn.execute(text("ANALYZE message"))
    return " | ".join(str(r[0]) for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))


@pytest.mark.parametrize("lookup", [repo.ticket_for_thread_refs, repo.thread_ref_messages])
async def test_thread_lookup_uses_the_unique_index(database_url: str, lookup: Any) -> None:
    """One message's lookup and a group commit's read-ahead alike."""
    db = Database(database_url)
    try:
        plan = await db.write(_plan, "email", ["a@mail.example", "b@mail.example"], lookup)
    finally:
        await db.close()
    if db.sqlite:
        # SQLite names the index of a UNIQUE constraint sqlite_autoindex_message_N.
        assert "SEARCH message USING INDEX" in plan, plan
        assert "(channel=? AND direction=? AND external_id=?)" in plan, plan
        assert "SCAN message" not in plan, plan
    else:
        assert "uq_message_channel_dir_external" in plan, plan
        assert "external_id" in plan.split("Index Cond", 1)[1], plan


def _rows(conn: Connection) -> list[int]:
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    reporter = repo.insert(conn, repo.T_REPORTER, dict(channel="email", address="a@b.example",
                                                       created_at=when, updated_at=when))
    tickets = [repo.insert(conn, repo.T_TICKET, dict(
        tracking_id=f"JKT-TEST-000{n}", status="BARU", channel=ch, reporter_id=reporter,
        category_code="lainnya", description="x", created_at=when, updated_at=when, last_inbound_at=when,
        coordinate_due=when, resolve_due=when)) for n, ch in enumerate(("twitter", "email"))]
    for ch, direction, ext, ticket, status in (("twitter", "in", "same@id", tickets[0], "processed"),
                                               ("email", "out", "sent@aduan", tickets[1], "sent")):
        repo.insert(conn, repo.T_MESSAGE, dict(channel=ch, direction=direction, external_id=ext, ticket_id=ticket,
                                               text="x", status=status, created_at=when, updated_at=when))
    return tickets


async def test_thread_lookup_matches_only_its_channel(database_url: str) -> None:
    """A tweet id equal to a mail's reference never threads the mail onto the tweet's ticket."""
    db = Database(database_url)
    try:
        tickets = await db.write(_rows)
        found = await db.read(lambda conn: (
            repo.ticket_for_thread_refs(conn, "email", ["same@id"]),
            repo.ticket_for_thread_refs(conn, "twitter", ["same@id"]),
            repo.ticket_for_thread_refs(conn, "email", ["x@y", "sent@aduan", "x@y"]),
            repo.ticket_for_thread_refs(conn, "email", []),
        ))
    finally:
        await db.close()
    assert found == (None, tickets[0], tickets[1], None)


async def test_a_groups_refs_read_at_once_give_the_same_tickets(database_url: str) -> None:
    """The group commit's read-ahead (``thread_ref_messages``, in chunks) finds what the lookup finds, by ref."""
    db = Database(database_url)
    try:
        tickets = await db.write(_rows)
        found = await db.read(lambda conn: [
            {ref: hit[1] for ref, hit in repo.thread_ref_messages(conn, channel, refs, chunk=chunk).items()}
            for channel, refs, chunk in (("email", ["x@y", "sent@aduan", "same@id", "x@y"], 1),
                                         ("email", ["x@y", "sent@aduan", "same@id"], 500),
                                         ("twitter", ["same@id", "sent@aduan"], 1),
                                         ("email", [], 500))])
    finally:
        await db.close()
    assert found == [{"sent@aduan": tickets[1]}, {"sent@aduan": tickets[1]}, {"same@id": tickets[0]}, {}]
