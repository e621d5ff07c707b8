"""Domain events: published inside the change's transaction; subscribers (desks) registered at the composition root."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.events import CitizenWrote, EventBus, StatusChanged, TicketCreated
from bot.models import InboundMessage
from bot.tickets import transition
from store import repo

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    """Every module a file imports, TYPE_CHECKING and function-level imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("module", ["bot/intake.py", "bot/intake_email.py", "bot/tickets.py", "bot/outbox.py",
                                    "scheduler/jobs.py", "scheduler/sla.py"])
def test_the_core_names_no_staff_desk_and_the_scheduler_not_the_gateway(module):
    imported = _imports(ROOT / module)
    assert not {m for m in imported if m == "bot.staff" or m.startswith("bot.staff.")}, imported
    assert "bot.gateway" not in imported
    assert "adapters.factory" not in imported  # the Telegram group fallback is a desk now


def test_staff_side_does_not_import_the_gateway():
    for path in (ROOT / "bot" / "staff").rglob("*.py"):
        assert "bot.gateway" not in _imports(path), path


async def test_every_desk_hears_intake_and_transitions(gateway, clock):
    seen: list[object] = []
    for kind in (TicketCreated, CitizenWrote, StatusChanged):
        gateway.policy.events.subscribe(kind, lambda conn, now, event: seen.append(event))
    msg = InboundMessage(channel="memory", external_id="ev-1", sender="+6281100000009",
                         text="Sampah menumpuk di Kel. Bangka")
    (o,) = await gateway.intake.submit([msg])
    (again,) = await gateway.intake.submit([InboundMessage(channel="memory", external_id="ev-2",
                                                          sender="+6281100000009", text=f"{o.tracking_id} masih ada")])
    assert again.action == "appended"
    await gateway.db.write(lambda c: transition(c, gateway.policy, clock.now(), repo.ticket_by_id(c, o.ticket_id),
                                                "PROSES", "staff:t"))
    assert [type(e).__name__ for e in seen] == ["TicketCreated", "CitizenWrote", "StatusChanged"]
    assert seen[0].ticket["id"] == o.ticket_id and seen[1].from_reporter is True
    assert (seen[2].before["status"], seen[2].after["status"]) == ("MENUNGGU", "PROSES")


async def test_a_failing_subscriber_rolls_the_change_back_with_its_outbox_rows(gateway, clock):
    msg = InboundMessage(channel="memory", external_id="ev-3", sender="+6281100000010",
                         text="Sampah menumpuk di Kel. Bangka")
    (o,) = await gateway.intake.submit([msg])
    M = repo.T_MESSAGE

    def outbound(c):
        return c.execute(select(func.count()).select_from(M).where(M.c.direction == "out")).scalar_one()

    before = await gateway.db.read(outbound)

    def broken(conn, now, event):
        raise RuntimeError("desk down")

    gateway.policy.events.subscribe(StatusChanged, broken)  # after the citizen's notifier: its row is queued first
    with pytest.raises(RuntimeError):
        await gateway.db.write(lambda c: transition(c, gateway.policy, clock.now(),
                                                    repo.ticket_by_id(c, o.ticket_id), "PROSES", "staff:t"))
    assert await gateway.db.read(outbound) == before
    ticket = await gateway.db.read(lambda c: repo.ticket_by_id(c, o.ticket_id))
    assert ticket["status"] == "MENUNGGU"


def test_bus_returns_what_subscribers_queued_in_order():
    bus = EventBus()
    bus.subscribe(StatusChanged, lambda conn, now, e: None)
    bus.subscribe(StatusChanged, lambda conn, now, e: 7)
    bus.subscribe(StatusChanged, lambda conn, now, e: 9)
    assert bus.publish(None, None, StatusChanged({}, {}, "x")) == [7, 9]  # type: ignore[arg-type]
    assert bus.publish(None, None, TicketCreated({})) == []  # type: ignore[arg-type]
