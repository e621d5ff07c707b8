"""Helpers for the SLA tests: gateways sharing one database, tickets, alerts."""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import select

from adapters.partner import PartnerAdapter
from bot.clock import FakeClock
from bot.config import AppConfig
from bot.gateway import Gateway
from bot.models import InboundMessage
from bot.tickets import transition
from scheduler.sla import SlaSweep, T_ALERT
from store import repo
from tests.conftest import make_config
from tests.memory_adapter import MemoryAdapter

REPORT = "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka Kec. Mampang Prapatan"
_seq = itertools.count(1)

GatewayFactory = Callable[..., Awaitable[Gateway]]


@pytest.fixture
async def make_gateway(database_url: str, clock: FakeClock, tmp_path: Path) -> AsyncIterator[GatewayFactory]:
    """Start gateways on the test database (several may share it); all are stopped at the end."""
    started: list[Gateway] = []

    async def make(config: AppConfig | None = None, **sla: Any) -> Gateway:
        # These tests are about which alerts are due and sent once; the caps of a sweep are test_sweep_bounds'.
        sla = {"alerts_per_sweep": 1000, "alerts_per_agency_per_sweep": 1000, **sla}
        cfg = config or make_config(tmp_path, database_url, sla=sla)
        gw = Gateway(cfg, clock=clock, database_url=database_url,
                     adapters=[(PartnerAdapter(cfg.channels.partner, allow_private_hosts=True), []),
                               (MemoryAdapter(), ["/webhooks/memory"])])
        await gw.start(dispatcher=False, receivers=False, scheduler=False)
        started.append(gw)
        return gw

    yield make
    for gw in started:
        if gw.started:
            await gw.stop()


@pytest.fixture
def officer_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record every officer message the sweep asks for, and queue it in the outbox (the last-resort desk).

    This makes the tests independent of whether the staff side's Slack threads
    exist; ``test_officer_transport`` covers the delegation itself.
    """
    from bot.alerts import OfficerAlertRouter

    calls: list[dict[str, Any]] = []

    def spy(self: OfficerAlertRouter, conn: Any, now: Any, event: Any) -> int | None:
        desk = self.fallback
        assert desk is not None
        send = desk.escalation if event.escalate else desk.ticket_post
        message_id = send(conn, now, event.ticket_id, event.text, kind=event.kind)
        calls.append(dict(ticket_id=event.ticket_id, text=event.text, escalate=event.escalate,
                          message_id=message_id, at=now))
        return message_id

    monkeypatch.setattr(OfficerAlertRouter, "on_sla", spy)
    return calls


def sweeper(gw: Gateway) -> SlaSweep:
    (hook,) = [h for h in gw.sla_hooks if isinstance(h, SlaSweep)]
    return hook


async def report(gw: Gateway, sender: str = "+6281100000001", text: str = REPORT) -> dict[str, Any]:
    msg = InboundMessage(channel="memory", external_id=f"sla-in-{next(_seq)}", sender=sender, text=text)
    (outcome,) = await gw.intake.submit([msg])
    assert outcome.action == "new_ticket", outcome
    return await ticket(gw, outcome.ticket_id)


async def ticket(gw: Gateway, ticket_id: int) -> dict[str, Any]:
    row = await gw.db.read(lambda c: repo.ticket_by_id(c, ticket_id))
    assert row is not None
    return dict(row)


async def move(gw: Gateway, ticket_id: int, to: str, **kw: Any) -> dict[str, Any]:
    now = gw.clock.now()
    row = await gw.db.write(lambda c: transition(c, gw.policy, now, repo.ticket_by_id(c, ticket_id), to,
                                                 "staff:test", **kw))
    return dict(row)


async def extend(gw: Gateway, ticket_id: int, hours: float) -> dict[str, Any]:
    """What the staff side's ``perpanjang`` does: add hours to resolve_due, record an "extend" event."""
    now = gw.clock.now()

    def run(c: Any) -> None:
        t = repo.ticket_by_id(c, ticket_id)
        from datetime import timedelta

        repo.update_ticket(c, ticket_id, resolve_due=t["resolve_due"] + timedelta(hours=hours), updated_at=now)
        repo.add_event(c, ticket_id, "extend", "staff:test", now, data={"hours": hours})

    await gw.db.write(run)
    return await ticket(gw, ticket_id)


async def alerts(gw: Gateway, ticket_id: int | None = None) -> list[dict[str, Any]]:
    def q(c: Any) -> list[dict[str, Any]]:
        stmt = select(T_ALERT)
        if ticket_id is not None:
            stmt = stmt.where(T_ALERT.c.ticket_id == ticket_id)
        return [dict(r) for r in c.execute(stmt.order_by(T_ALERT.c.id)).mappings()]

    return await gw.db.read(q)


async def messages(gw: Gateway, ids: list[int]) -> dict[int, dict[str, Any]]:
    M = repo.T_MESSAGE

    def q(c: Any) -> dict[int, dict[str, Any]]:
        return {r["id"]: dict(r) for r in c.execute(select(M).where(M.c.id.in_(ids))).mappings()}

    return await gw.db.read(q) if ids else {}


async def outbound_count(gw: Gateway) -> int:
    M = repo.T_MESSAGE
    from sqlalchemy import func

    return await gw.db.read(lambda c: c.execute(select(func.count()).select_from(M).where(M.c.direction == "out"))
                            .scalar_one())
