"""Threading of follow-ups, idempotent storage, and failed messages kept for retry."""
from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.models import InboundMessage
from store import repo


def _msg(ext: str, text: str, sender: str = "+62811000", channel: str = "memory", **kw) -> InboundMessage:
    return InboundMessage(channel=channel, external_id=ext, sender=sender, text=text, **kw)


async def _count(gateway, table, *where) -> int:
    return await gateway.db.read(lambda c: c.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


async def test_quoted_tracking_id_threads_to_that_ticket(gateway, clock):
    (a,) = await gateway.intake.submit([_msg("1", "Lampu jalan mati di Jl. Tebet Raya")])
    clock.advance(days=3)  # outside the follow-up window
    (b,) = await gateway.intake.submit([_msg("2", f"kenapa laporan {a.tracking_id.lower()} belum diperbaiki?")])
    assert b.action == "appended" and b.tracking_id == a.tracking_id
    assert await _count(gateway, repo.T_TICKET) == 1


async def test_follow_up_within_window_joins_open_ticket(gateway, clock):
    (a,) = await gateway.intake.submit([_msg("1", "Pohon tumbang di Kel. Cikini")])
    clock.advance(minutes=30)
    (b,) = await gateway.intake.submit([_msg("2", "menghalangi jalan, tolong cepat")])
    assert b.action == "appended" and b.ticket_id == a.ticket_id
    clock.advance(minutes=gateway.config.intake.thread_window_minutes + 1)
    (c,) = await gateway.intake.submit([_msg("3", "Ada genangan air di depan rumah")])
    assert c.action == "new_ticket" and c.ticket_id != a.ticket_id


async def test_other_reporter_or_channel_does_not_join(gateway):
    (a,) = await gateway.intake.submit([_msg("1", "Sampah menumpuk di Kel. Bangka")])
    (b,) = await gateway.intake.submit([_msg("2", "Sampah menumpuk juga", sender="+62899")])
    assert b.action == "new_ticket"
    (c,) = await gateway.intake.submit([_msg("3", f"Saya juga lihat {a.tracking_id}", sender="+62877")])
    assert c.action == "note" and c.ticket_id == a.ticket_id
    events = await gateway.db.read(lambda conn: repo.events_for(conn, a.ticket_id))
    note = [e for e in events if e["kind"] == "note"]
    assert note and note[0]["public"] is False and "+62877" not in (note[0]["actor"] or "")
    ticket = await gateway.db.read(lambda conn: repo.ticket_by_id(conn, a.ticket_id))
    reporter = await gateway.db.read(lambda conn: repo.get_reporter(conn, ticket["reporter_id"]))
    assert reporter["address"] == "+62811000"  # a third party never becomes the reporter


async def test_closed_ticket_is_not_joined_by_follow_up(gateway, clock):
    from bot.tickets import transition

    (a,) = await gateway.intake.submit([_msg("1", "Jalan berlubang di Kel. Kalibata")])
    await gateway.db.write(lambda c: transition(c, gateway.policy, clock.now(), repo.ticket_by_id(c, a.ticket_id),
                                                "DITOLAK", "staff:x", reason="bukan wewenang"))
    (b,) = await gateway.intake.submit([_msg("2", "jalan berlubang lagi")])
    assert b.action == "new_ticket"


async def test_thread_refs_match_stored_message_ids(gateway, memory):
    (a,) = await gateway.intake.submit([_msg("<orig@mail>", "Saluran air mampet di Kel. Menteng", channel="memory")])
    await gateway.dispatcher.run_once()
    sent_id = "memory-1"
    (b,) = await gateway.intake.submit([_msg("<reply@mail>", "Masih mampet", sender="+62899", thread_refs=[sent_id])])
    assert b.ticket_id == a.ticket_id


async def test_concurrent_duplicates_make_one_ticket_and_one_reply(gateway, memory):
    dup = _msg("SM-dup-1", "Parkir liar di trotoar Jl. Sabang Kel. Kebon Sirih")
    outcomes = await asyncio.gather(*(gateway.intake.submit([dup]) for _ in range(25)))
    flat = [o for batch in outcomes for o in batch]
    assert sum(1 for o in flat if o.action == "new_ticket") == 1
    assert sum(1 for o in flat if o.duplicate) == 24
    assert len({o.tracking_id for o in flat}) == 1
    assert await _count(gateway, repo.T_TICKET) == 1
    await gateway.dispatcher.run_once()
    assert len(memory.sent) == 1


async def test_duplicates_across_two_gateways_sharing_a_database(gateway, config, clock, database_url, memory):
    """Two gateway processes on one database: the UNIQUE key still gives one ticket."""
    from adapters.partner import PartnerAdapter
    from bot.gateway import Gateway
    from tests.memory_adapter import MemoryAdapter

    other = Gateway(config, clock=clock, database_url=database_url,
                    adapters=[(PartnerAdapter(config.channels.partner), []), (MemoryAdapter(), [])])
    await other.start(dispatcher=False, receivers=False, scheduler=False)
    try:
        dup = _msg("SM-dup-2", "Banjir setinggi lutut di Kel. Kampung Melayu")
        results = await asyncio.gather(*[(gateway if i % 2 else other).intake.submit([dup]) for i in range(10)])
    finally:
        await other.stop()
    flat = [o for batch in results for o in batch]
    assert sum(1 for o in flat if o.action == "new_ticket") == 1
    assert await _count(gateway, repo.T_TICKET) == 1
    assert await _count(gateway, repo.T_MESSAGE, repo.T_MESSAGE.c.direction == "out") == 1


async def test_edit_updates_message_and_opens_nothing(gateway):
    (a,) = await gateway.intake.submit([_msg("e1", "Lampu PJU mati di Kel. Gambir")])
    (b,) = await gateway.intake.submit([_msg("e1", "Lampu PJU mati di Jl. Kebon Sirih Kel. Gambir", is_edit=True)])
    assert b.action == "edited" and b.ticket_id == a.ticket_id
    ticket = await gateway.db.read(lambda c: repo.ticket_by_id(c, a.ticket_id))
    assert "Kebon Sirih" in ticket["description"]
    assert await _count(gateway, repo.T_TICKET) == 1


async def test_failing_message_is_kept_with_error_and_retried(gateway, monkeypatch, memory):
    import bot.intake as intake

    real = intake.Categorizer.categorize

    def broken(self, text):
        if "MELEDAK" in text:
            raise RuntimeError("categoriser crashed")
        return real(self, text)

    monkeypatch.setattr(intake.Categorizer, "categorize", broken)
    good, bad = _msg("g1", "Sampah di Kel. Bangka"), _msg("b1", "MELEDAK trafo listrik", sender="+62822")
    outcomes = await gateway.intake.submit([good, bad])
    assert [o.action for o in outcomes] == ["new_ticket", "failed"]  # one bad message spoils nothing
    row = await gateway.db.read(lambda c: c.execute(select(repo.T_MESSAGE).where(
        repo.T_MESSAGE.c.external_id == "b1")).mappings().one())
    assert row["status"] == "failed" and "categoriser crashed" in row["error"] and row["text"] == bad.text
    # A provider redelivery of the failed message is recognised, not a new ticket.
    (again,) = await gateway.intake.submit([bad])
    assert again.duplicate
    monkeypatch.setattr(intake.Categorizer, "categorize", real)
    assert await gateway.intake.retry_failed() == 1
    row = await gateway.db.read(lambda c: c.execute(select(repo.T_MESSAGE).where(
        repo.T_MESSAGE.c.external_id == "b1")).mappings().one())
    assert row["status"] == "processed" and row["ticket_id"] is not None
    assert await _count(gateway, repo.T_TICKET) == 2


async def test_location_after_report_sets_coordinates(gateway):
    (a,) = await gateway.intake.submit([_msg("l1", "Pohon tumbang menutup jalan")])
    (b,) = await gateway.intake.submit([_msg("l2", "", latitude=-6.2, longitude=106.8, is_location_only=True)])
    assert b.action == "location" and b.ticket_id == a.ticket_id
    ticket = await gateway.db.read(lambda c: repo.ticket_by_id(c, a.ticket_id))
    assert (ticket["latitude"], ticket["longitude"]) == (-6.2, 106.8)


async def test_location_flag_without_coordinates_touches_no_ticket(gateway):
    """A message flagged location-only but carrying no coordinates (an adapter's mistake) is kept as an
    orphan location, never written over the open ticket's place (typed intake, issue 14 point 8)."""
    (a,) = await gateway.intake.submit([_msg("l3", "Pohon tumbang menutup jalan")])
    (b,) = await gateway.intake.submit([_msg("l4", "", latitude=-6.2, longitude=None, is_location_only=True)])
    assert b.action == "location" and b.ticket_id is None
    ticket = await gateway.db.read(lambda c: repo.ticket_by_id(c, a.ticket_id))
    assert ticket["latitude"] is None and ticket["area_method"] != "coordinates"


async def test_sla_deadlines_from_config(gateway, clock):
    (a,) = await gateway.intake.submit([_msg("s1", "Sampah menumpuk di Kel. Bangka")])
    t = await gateway.db.read(lambda c: repo.ticket_by_id(c, a.ticket_id))
    from datetime import timedelta

    assert t["coordinate_due"] == clock.now() + timedelta(hours=6)
    assert t["resolve_due"] == clock.now() + timedelta(days=7)


async def test_nul_bytes_never_break_a_batch(gateway):
    """PostgreSQL text cannot hold NUL: such a message is cleaned, its neighbours unharmed."""
    nasty = _msg("nul\x00-1", "Sampah\x00 menumpuk di Kel. Bangka", sender="+62\x00833",
                 reply_context={"subject": "a\x00b"}, raw="{\"text\": \"\\u0000\"}\x00")
    outcomes = await gateway.intake.submit([_msg("ok-1", "Lampu PJU mati di Kel. Gambir"), nasty])
    assert [o.action for o in outcomes] == ["new_ticket", "new_ticket"]
    assert await _count(gateway, repo.T_TICKET) == 2
