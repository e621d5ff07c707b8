"""Issue 16, point 6: a group commit sends its statements per group, not per message, with the
same outcomes as one message at a time (redeliveries in the group, a reporter writing twice in
the group, a failing message that must not lose the others). Runs on SQLite and PostgreSQL."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event, func, select

from bot.intake_service import _process_batch
from bot.intake_types import PreparedInbound
from bot.models import InboundMessage
from store import repo


def _report(n: int, sender: str | None = None, text: str | None = None) -> PreparedInbound:
    return PreparedInbound(InboundMessage(
        channel="memory", external_id=f"b{n}", sender=sender or f"+62812{n:05d}",
        text=text or f"Sampah menumpuk di Jl. Kemang nomor {n} Kel. Bangka"))


async def _run_counting(gateway, items: list[PreparedInbound]) -> tuple[list[Any], int]:
    """Process one group; returns the outcomes and how many statements reached the database."""
    count = 0

    def run(conn: Connection) -> list[Any]:
        nonlocal count

        def seen(*_: Any) -> None:
            nonlocal count
            count += 1

        event.listen(conn, "before_cursor_execute", seen)
        try:
            return _process_batch(conn, items, gateway.intake.rules, gateway.clock.now(), [])[0]
        finally:
            event.remove(conn, "before_cursor_execute", seen)

    return await gateway.db.write(run), count


async def test_statements_per_group_do_not_grow_with_the_group(gateway):
    _, small = await _run_counting(gateway, [_report(n) for n in range(10)])
    outcomes, large = await _run_counting(gateway, [_report(n) for n in range(100, 160)])
    assert [o.action for o in outcomes] == ["new_ticket"] * 60
    # One statement per message would be 50 more; the group pays the same few statements.
    assert large == small, (small, large)
    counts = await gateway.db.read(lambda c: {
        "tickets": c.execute(select(func.count()).select_from(repo.T_TICKET)).scalar_one(),
        "events": c.execute(select(func.count()).select_from(repo.T_EVENT)).scalar_one(),
        "inbound": c.execute(select(func.count()).select_from(repo.T_MESSAGE)
                             .where(repo.T_MESSAGE.c.direction == "in", repo.T_MESSAGE.c.status == "processed"))
        .scalar_one()})
    assert counts == {"tickets": 70, "events": 70, "inbound": 70}


async def test_redeliveries_and_a_second_message_in_the_same_group(gateway):
    items = [_report(1, sender="+628121"), _report(2), _report(1, sender="+628121"),
             _report(3, sender="+628121", text="Tambahan: sampahnya makin banyak")]
    outcomes, _ = await _run_counting(gateway, items)
    first, other, again, follow_up = outcomes
    assert first.action == "new_ticket" and other.action == "new_ticket"
    assert again.duplicate and again.ticket_id == first.ticket_id and again.message_id == first.message_id
    # The reporter's next message joins the ticket its first message opened in this same group.
    assert follow_up.action == "appended" and follow_up.ticket_id == first.ticket_id
    assert follow_up.reporter_id == first.reporter_id
    events = await gateway.db.read(lambda c: [e["kind"] for e in repo.events_for(c, first.ticket_id)])
    assert events == ["created", "message"]


async def test_a_failing_message_does_not_lose_the_group(gateway, monkeypatch):
    from bot import intake

    real = intake._new_ticket

    def explode_on_bad(conn, item, *args):
        if "MELEDAK" in (item.msg.text or ""):
            raise RuntimeError("boom")
        return real(conn, item, *args)

    monkeypatch.setattr(intake, "_new_ticket", explode_on_bad)
    items = [_report(n) for n in range(5)] + [_report(99, text="MELEDAK di Kel. Bangka")] + [_report(n) for n in range(5, 9)]
    outcomes, _ = await _run_counting(gateway, items)
    assert [o.action for o in outcomes] == ["new_ticket"] * 5 + ["failed"] + ["new_ticket"] * 4
    tickets = await gateway.db.read(lambda c: c.execute(select(func.count()).select_from(repo.T_TICKET)).scalar_one())
    events = await gateway.db.read(lambda c: c.execute(select(func.count()).select_from(repo.T_EVENT)).scalar_one())
    assert tickets == 9 and events == 9  # nothing of the failed message's half-done work remains
    (failed,) = await gateway.db.read(lambda c: list(c.execute(
        select(repo.T_MESSAGE).where(repo.T_MESSAGE.c.status == "failed")).mappings()))
    assert failed["external_id"] == "b99" and "boom" in failed["error"]


async def test_redeliveries_of_stored_messages_cost_one_read_per_group(gateway):
    """A provider retrying messages an earlier group stored (a webhook timeout, or another gateway process that
    took them first): read together, one statement for the group, not two reads per redelivery."""
    earlier, _ = await _run_counting(gateway, [_report(n) for n in range(30)])
    _, fresh = await _run_counting(gateway, [_report(n) for n in range(100, 130)])
    items = [_report(n) for n in range(200, 230)] + [_report(n) for n in range(30)]
    outcomes, mixed = await _run_counting(gateway, items)
    assert [o.action for o in outcomes[:30]] == ["new_ticket"] * 30
    assert all(o.duplicate for o in outcomes[30:])
    assert [(o.message_id, o.ticket_id, o.tracking_id) for o in outcomes[30:]] == \
        [(o.message_id, o.ticket_id, o.tracking_id) for o in earlier]
    assert mixed == fresh + 1, (fresh, mixed)  # 30 redeliveries: 60 reads before


async def test_an_edit_redelivered_in_a_group_still_updates_its_message(gateway):
    """The read-ahead answers plain redeliveries only: an edit of a stored message changes its text and its
    ticket's description as before."""
    (first,), _ = await _run_counting(gateway, [_report(1)])
    edit = _report(1, text="Sampah menumpuk, sudah seminggu")
    edit.msg.is_edit = True
    outcomes, _ = await _run_counting(gateway, [_report(2), edit, _report(1)])
    assert [o.action for o in outcomes] == ["new_ticket", "edited", "duplicate"]
    assert outcomes[1].ticket_id == first.ticket_id and outcomes[2].ticket_id == first.ticket_id
    ticket = await gateway.db.read(lambda c: repo.ticket_by_id(c, first.ticket_id))
    assert ticket["description"] == "Sampah menumpuk, sudah seminggu"


async def test_a_group_of_new_reports_costs_a_fixed_handful_of_statements(gateway):
    """The whole group commit of 60 new reports, each acknowledged, counted statement by statement. PostgreSQL:
    the savepoint and its release; the inbound rows, the reporters; ticket ids and message ids reserved; the
    tickets, the replies and the events; the area names and one upsert per figure table touched (9); the messages
    marked processed; the group's tracking IDs checked free (bot/tracking_draw.py): 21. SQLite reads the largest
    reporter, ticket and message id instead of reserving ids, and the read of the messages' flushes the first
    ticket and event queued before it: 24.
    One statement more per message (on PostgreSQL a round trip each) fails this."""
    outcomes, statements = await _run_counting(gateway, [_report(n) for n in range(60)])
    assert [o.action for o in outcomes] == ["new_ticket"] * 60
    assert statements == (21 if gateway.db.dialect == "postgresql" else 24), statements
