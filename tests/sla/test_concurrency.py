"""Exactly once: two gateways sweeping one database at the same time, and a restart.

On PostgreSQL (ADUAN_TEST_DATABASE_URL set) the two gateways hold separate
connection pools and their transactions really overlap; on SQLite they are
two engines on one file.
"""
from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta, timezone

from scheduler.sla import find_due
from tests.sla.conftest import alerts, move, outbound_count, report, sweeper

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
N = 24


async def test_two_schedulers_and_a_restart_send_each_alert_once(make_gateway, clock, officer_calls):
    clock.set(T0)
    gw1 = await make_gateway()
    gw2 = await make_gateway()
    tickets = [await report(gw1, sender=f"+62811000{i:05d}") for i in range(N)]
    # Half are coordinated at once (they only have the resolution clock).
    for t in tickets[: N // 2]:
        await move(gw1, t["id"], "PROSES")
    base_out = await outbound_count(gw1)

    async def both(when: datetime) -> int:
        clock.set(when)
        a, b = await asyncio.gather(sweeper(gw1).sweep(gw1, when), sweeper(gw2).sweep(gw2, when))
        return a + b

    # Coordination warnings (80 % of 6 h) for the waiting half.
    assert await both(T0 + timedelta(hours=5)) == N // 2
    assert await both(T0 + timedelta(hours=5, minutes=30)) == 0
    # Escalations at 6 h.
    assert await both(T0 + timedelta(hours=6)) == N // 2

    # Force the race: both gateways decide from the same state, then both write.
    when = T0 + timedelta(hours=140)  # resolution warnings for all (80 % of 168 h = 134.4 h)
    clock.set(when)
    due1 = await gw1.db.read(find_due, sweeper(gw1).rules, when)
    due2 = await gw2.db.read(find_due, sweeper(gw2).rules, when)
    assert due1 == due2 == sorted(t["id"] for t in tickets)
    q1, q2 = await asyncio.gather(gw1.db.write(sweeper(gw1).record, when, due1),
                                  gw2.db.write(sweeper(gw2).record, when, due2))
    assert q1 + q2 == N  # every alert once, whichever transaction won each

    # Resolution escalations, swept by both many times over.
    for minutes in (0, 0, 1, 2):
        await both(T0 + timedelta(hours=168, minutes=minutes))

    rows = await alerts(gw1)
    keys = Counter((a["ticket_id"], a["kind"], a["deadline"]) for a in rows)
    assert max(keys.values()) == 1
    by_kind = Counter(a["kind"] for a in rows)
    assert by_kind == {"coordinate_warning": N // 2, "coordinate_breach": N // 2,
                       "resolve_warning": N, "resolve_breach": N}
    expected = 2 * (N // 2) + 2 * N
    assert len(officer_calls) == expected
    assert Counter((c["ticket_id"], c["text"]) for c in officer_calls).most_common(1)[0][1] == 1
    assert await outbound_count(gw1) - base_out == expected

    # A restart: a new gateway on the same database sends nothing old again.
    await gw1.stop()
    await gw2.stop()
    gw3 = await make_gateway()
    clock.set(T0 + timedelta(hours=170))
    assert await sweeper(gw3).sweep(gw3, clock.now()) == 0
    assert len(await alerts(gw3)) == len(rows)
    assert await outbound_count(gw3) - base_out == expected
