"""The outbox over years of history: every dispatcher poll is index-served, and idling costs nothing.

50,000 sent replies and 50,000 processed inbound messages are bulk-inserted and the
statistics refreshed (ANALYZE: the planner then knows how skewed `status` is, which is
when a full scan looks cheap to it). Every statement the dispatcher's polls run is then
EXPLAINed: on SQLite no plan line may walk `message` except through one of the outbox's
partial indexes; on PostgreSQL no plan may hold a Seq Scan on `message`.
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, event, insert, text

from bot.models import InboundMessage
from store import outbox, repo
from tests.harness.waiting import eventually

HISTORY = 50_000
# Partial indexes: their size follows the backlog, so walking one is bounded.
PARTIAL = ("ix_message_lane_queued", "ix_message_conversation_pending", "ix_message_queued_due",
           "ix_message_sending_lease", "ix_message_pending_lane")


def _history(conn: Connection, now: Any) -> None:
    old = now - timedelta(days=400)
    base = dict(text="", attempts=1, parts_sent=1, created_at=old, updated_at=old, next_attempt_at=old,
                lane=None, sent_at=None, lease_owner=None, lease_until=None)
    rows = [dict(base, channel="sms", direction="out", status="sent", recipient=f"+62811{i % 20000:05d}",
                 kind="ack", lane="sms", external_id=f"SM{i}", sent_at=old) for i in range(HISTORY)]
    rows += [dict(base, channel="sms", direction="in", status="processed", recipient=None, kind="report",
                  external_id=f"IN{i}") for i in range(HISTORY)]
    conn.execute(insert(repo.T_MESSAGE), rows)
    pending = dict(base, channel="sms", direction="out", kind="ack", lane="sms", created_at=now, updated_at=now,
                   external_id=None)
    conn.execute(insert(repo.T_MESSAGE), [
        dict(pending, status="queued", recipient="+628990001", next_attempt_at=now),
        dict(pending, status="queued", recipient="+628990002", next_attempt_at=now + timedelta(minutes=5)),
        dict(pending, status="sending", recipient="+628990003", lease_owner="gone", lease_until=now),
    ])
    conn.execute(text("ANALYZE"))


def _captured(conn: Connection, fn: Any, *args: Any) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def grab(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "WITH")):
            seen.append((statement, params))

    event.listen(conn, "before_cursor_execute", grab)
    try:
        fn(conn, *args)
    finally:
        event.remove(conn, "before_cursor_execute", grab)
    return seen


def _polls(conn: Connection, now: Any) -> dict[str, list[tuple[str, Any]]]:
    later = now + timedelta(seconds=1)
    return {
        "due_lanes": _captured(conn, outbox.due_lanes, now),
        "next_due": _captured(conn, outbox.next_due),
        "reclaim_expired": _captured(conn, outbox.reclaim_expired, later),
        "lease": _captured(conn, outbox.lease, "sms", "me", later, later + timedelta(minutes=2), 8),
        "lane_backlog": _captured(conn, outbox.lane_backlog),
    }


def _plan(conn: Connection, statement: str, params: Any) -> list[str]:
    if conn.dialect.name == "sqlite":
        return [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]
    return [row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, params)]


def _walks_history(dialect: str, plan: list[str]) -> list[str]:
    if dialect == "sqlite":
        # "SCAN message", "SCAN m" (no index, or a full index): a walk of every row.
        return [line for line in plan if re.match(r"SCAN (message|m|p)\b", line)
                and not any(f"INDEX {name}" in line for name in PARTIAL)]
    return [line for line in plan if "Seq Scan on message" in line]


async def test_every_dispatcher_poll_is_index_served_over_history(gateway, clock):
    now = clock.now()
    await gateway.db.write(_history, now)

    def explain_all(conn: Connection) -> dict[str, list[list[str]]]:
        return {name: [_plan(conn, s, p) for s, p in statements] for name, statements in _polls(conn, now).items()}

    plans = await gateway.db.write(explain_all)
    dialect = gateway.db.dialect
    for name, statement_plans in plans.items():
        assert statement_plans, f"{name} ran no statement"
        for plan in statement_plans:
            assert not _walks_history(dialect, plan), (name, plan)
    text_of = "\n".join(line for ps in plans.values() for p in ps for line in p)
    if dialect == "sqlite":
        # The partial indexes are the ones that serve the polls (SQLite's choice is stable here).
        for index in ("ix_message_sending_lease", "ix_message_lane_queued"):
            assert index in text_of, (index, text_of)
    else:
        # PostgreSQL picks among the partial indexes by its statistics: any of them, never the table.
        assert all("Index" in "\n".join(p) for ps in plans.values() for p in ps), text_of


async def test_polls_return_the_right_rows_over_history(gateway, clock):
    now = clock.now()
    await gateway.db.write(_history, now)
    assert await gateway.db.read(outbox.due_lanes, now) == ["sms"]
    assert await gateway.db.read(outbox.next_due) == now
    assert await gateway.db.write(outbox.reclaim_expired, now + timedelta(seconds=1)) == 1  # the dead sender's row
    assert (await gateway.db.read(outbox.lane_backlog))["sms"][0] == 3
    later = now + timedelta(seconds=1)
    leased = await gateway.db.write(outbox.lease, "sms", "me", later, later + timedelta(minutes=2), 8)
    assert sorted(r["recipient"] for r in leased) == ["+628990001", "+628990003"]  # the later one is not due


async def test_idle_dispatcher_sleeps_until_the_next_due_row(gateway, clock):
    d = gateway.dispatcher
    cfg = d.config
    assert await d._idle_timeout() == cfg.idle_poll_seconds  # nothing queued: the ceiling
    now = clock.now()

    def queue_later(conn: Connection) -> None:
        from bot.outbox import enqueue

        mid = enqueue(conn, now, channel="memory", recipient="+628111", text="nanti", kind="ack")
        repo.update_by_id(conn, repo.T_MESSAGE, mid, {"next_attempt_at": now + timedelta(seconds=4)})

    await gateway.db.write(queue_later)
    assert await d._idle_timeout() == pytest.approx(min(cfg.idle_poll_seconds, 4))
    clock.advance(seconds=4)
    assert await d._idle_timeout() == cfg.poll_interval_seconds  # due now: never a busy loop


async def test_a_commit_wakes_the_idle_dispatcher_at_once(gateway, memory, config):
    """With an hour of idle polling, a new report's reply still goes out: the intake's commit wakes the loop."""
    gateway.dispatcher.config = config.outbox.model_copy(update={"idle_poll_seconds": 3600,
                                                                 "poll_interval_seconds": 3600})
    runner = __import__("asyncio").create_task(gateway.dispatcher.run())
    try:
        await eventually(lambda: gateway.dispatcher._wake.is_set() is False, "the dispatcher idles")
        await gateway.intake.submit([InboundMessage(channel="memory", external_id="wake-1", sender="+628222",
                                                    text="Sampah menumpuk di Kel. Bangka")])
        await eventually(lambda: len(memory.sent) == 1, "the acknowledgement sent without a poll")
    finally:
        await gateway.dispatcher.stop()
        await runner
