"""Bounded SLA sweeps (issue 16): an imported history of 5,000 overdue tickets never floods officers.

Each sweep looks at ``sla.sweep_max_tickets`` tickets at most (earliest deadline first), never alerts a deadline
older than ``sla.sweep_horizon_hours``, posts at most ``alerts_per_sweep`` alerts (``alerts_per_agency_per_sweep``
per agency) and summarises the rest in one digest post per agency; the next sweeps go on without repeats.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from bot.sla import RESOLVE_BREACH
from scheduler.sla import find_due
from store import repo
from tests.sla.conftest import alerts, messages, sweeper

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
N_OLD, N_RECENT = 4000, 1000  # deadlines before / inside the 72 h horizon
AGENCIES = ["DLH", "DISHUB", "DBM"]
CAPS = dict(sweep_max_tickets=400, sweep_horizon_hours=72, alerts_per_sweep=30, alerts_per_agency_per_sweep=12)


def _tickets() -> list[dict]:
    rows = []
    for i in range(1, N_OLD + N_RECENT + 1):
        # Old: resolve_due 4-30 days ago; recent: 1-71 hours ago (inside the horizon).
        ago = timedelta(hours=96 + (i * 37) % 600) if i <= N_OLD else timedelta(hours=1 + (i * 13) % 70,
                                                                                 minutes=i % 60)
        due = NOW - ago
        created = due - timedelta(hours=168)
        rows.append(dict(
            id=i, tracking_id=f"IMP-{i:07d}", status="PROSES", channel="sms", reporter_id=1, category_code="sampah",
            agency_code=AGENCIES[i % 3], unit=None, area_code="31.74.01.1001", area_method="name", latitude=None,
            longitude=None, description="imported", language="id", created_at=created, updated_at=created,
            last_inbound_at=created, coordinate_due=created + timedelta(hours=6), resolve_due=due,
            coordinated_at=created + timedelta(hours=1), proof_submitted_at=None, resolved_at=None, closed_at=None,
            reopen_count=0, resolve_started_at=created, paused_at=None, paused_hours=0.0))
    return rows


async def _import(gw) -> None:
    def load(conn):
        conn.execute(insert(repo.T_REPORTER), [dict(id=1, channel="sms", address="+6281100000001", display_name=None,
                                                    language="id", opted_out=False, unreachable=False,
                                                    unreachable_reason=None, created_at=NOW, updated_at=NOW)])
        conn.execute(insert(repo.T_TICKET), _tickets())

    await gw.db.write(load)


def _is_digest(call: dict) -> bool:
    return call["text"].startswith("Ringkasan SLA")


async def test_an_imported_backlog_makes_bounded_sweeps_without_repeats(make_gateway, clock, officer_calls):
    clock.set(NOW)
    gw = await make_gateway(**CAPS)
    await _import(gw)
    sweep = sweeper(gw)
    horizon = NOW - timedelta(hours=72)

    window = await gw.db.read(find_due, sweep.rules, NOW, horizon, CAPS["sweep_max_tickets"])
    assert len(window) == CAPS["sweep_max_tickets"]  # one sweep's work, not the 5,000
    assert min(window) > N_OLD  # only deadlines inside the horizon

    seen: set[int] = set()
    per_sweep = []
    for k in range(4):
        clock.set(NOW + timedelta(minutes=k))
        before = len(officer_calls)
        queued = await sweep.sweep(gw, clock.now())
        calls = officer_calls[before:]
        singles, digests = [c for c in calls if not _is_digest(c)], [c for c in calls if _is_digest(c)]
        assert queued == len(calls)
        assert len(singles) <= CAPS["alerts_per_sweep"]
        by_agency = Counter(t["agency_code"] for t in [await _ticket(gw, c["ticket_id"]) for c in singles])
        assert max(by_agency.values(), default=0) <= CAPS["alerts_per_agency_per_sweep"]
        assert len(digests) <= len(AGENCIES)  # at most one digest per agency
        assert not seen & {c["ticket_id"] for c in singles}  # no ticket alerted twice
        seen |= {c["ticket_id"] for c in singles}
        per_sweep.append((len(singles), len(digests)))

    assert per_sweep[0] == (CAPS["alerts_per_sweep"], len(AGENCIES))
    assert per_sweep[3] == (0, 0)  # 1,000 recent tickets: three sweeps of at most 400, then nothing left

    rows = await alerts(gw)
    breaches = [a for a in rows if a["kind"] == RESOLVE_BREACH]
    assert sorted(a["ticket_id"] for a in breaches) == list(range(N_OLD + 1, N_OLD + N_RECENT + 1))  # each once
    assert all(a["ticket_id"] > N_OLD for a in rows)  # the old deadlines were never alerted one by one
    assert all(a["message_id"] is not None for a in breaches)  # posted alone or in a digest
    digest_ids = {a["message_id"] for a in breaches} - {c["message_id"] for c in officer_calls if not _is_digest(c)}
    texts = [m["text"] for m in (await messages(gw, sorted(digest_ids))).values()]
    assert texts and all(t.startswith("Ringkasan SLA") and "melewati batas" in t for t in texts)
    assert sum(int(t.split(": ", 1)[1].split()[0]) for t in texts) + len(seen) == N_RECENT


async def test_digest_text_in_english(make_gateway, clock, officer_calls, tmp_path, database_url):
    from tests.conftest import make_config

    clock.set(NOW)
    cfg = make_config(tmp_path, database_url, instance={"default_language": "en"},
                      sla=dict(CAPS, alerts_per_sweep=1, alerts_per_agency_per_sweep=1, sweep_max_tickets=5))
    gw = await make_gateway(cfg)
    await _import(gw)
    await sweeper(gw).sweep(gw, NOW)
    singles = [c for c in officer_calls if "SLA ESCALATION" in c["text"]]
    digests = [c["text"] for c in officer_calls if c["text"].startswith("SLA digest")]
    assert len(singles) == 1 and 1 <= len(digests) <= len(AGENCIES)
    assert all("past their deadline" in t for t in digests)
    assert sum(int(t.split(": ", 1)[1].split()[0]) for t in digests) == 4  # "SLA digest DLH: 2 more alerts ..."


async def _ticket(gw, ticket_id: int) -> dict:
    T = repo.T_TICKET
    return dict((await gw.db.read(lambda c: c.execute(select(T).where(T.c.id == ticket_id)).mappings().one())))
