"""Which replies are ratings (bot.ratings.parse_rating), and the ask's window rule."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from adapters.contract.channel import MessagingWindow
from bot.models import InboundMessage
from bot.ratings import RatingReply, offers_reopen, parse_rating
from bot.tickets import transition
from store import repo

TID = "JKT-7K3M-QXP2"


@pytest.mark.parametrize("text, want", [
    ("4", RatingReply(4, "")),
    ("5.", RatingReply(5, "")),
    ("4 cepat, terima kasih", RatingReply(4, "cepat, terima kasih")),
    ("3, lumayan", RatingReply(3, "lumayan")),
    ("4/5 mantap", RatingReply(4, "mantap")),
    ("  1 - belum beres", RatingReply(1, "belum beres")),
    (f"NILAI {TID} 4", RatingReply(4, "", TID)),
    (f"nilai {TID.lower()} 2 masih rusak", RatingReply(2, "masih rusak", TID)),
    (f"RATE {TID} 5 great", RatingReply(5, "great", TID)),
    (f"/rating: {TID} 3", RatingReply(3, "", TID)),
    ("nilai 4", RatingReply(4, "")),  # keyword without an ID: the pending ticket
    ("0", None), ("6", None), ("45", None), ("3.5", None), ("4,5 km dari sini", None), ("2x sehari", None),
    ("3/10", None), ("1708", None), ("Jalan rusak", None), ("nilai jalan ini jelek", None),
    (f"CEK {TID}", None), ("", None),
])
def test_what_is_a_rating(text, want):
    assert parse_rating(text, "JKT") == want


def test_reopen_offer_needs_low_and_not_fixed(config):
    settings = config.ratings
    assert offers_reopen(1, "Belum   beres, lampu mati", settings)
    assert offers_reopen(2, "masih rusak", settings)
    assert not offers_reopen(3, "belum beres", settings)
    assert not offers_reopen(1, "lambat", settings)


async def test_no_ask_outside_a_closed_window(gateway, memory, clock):
    """WhatsApp/Messenger-like channel, citizen silent for 2 days: SELESAI goes its own way, the ask is left out
    (no approved template covers it) and no 'undeliverable' is recorded for it."""
    memory.capabilities = replace(memory.capabilities, window=MessagingWindow(hours=24, outside="template"))
    (o,) = await gateway.intake.submit([InboundMessage(channel="memory", external_id="w1", sender="+62811",
                                                       text="Sampah menumpuk di Kel. Bangka")])
    clock.advance(days=2)

    def finish(c):
        t = repo.ticket_by_tracking_id(c, o.tracking_id)
        for status in ("PROSES", "MENUNGGU_VALIDASI", "SELESAI"):
            t = transition(c, gateway.policy, clock.now(), t, status, "staff:t")

    await gateway.db.write(finish)
    rows = await gateway.db.read(lambda c: c.execute(select(repo.T_MESSAGE.c.kind).where(
        repo.T_MESSAGE.c.direction == "out")).scalars().all())
    assert "rating_ask" not in rows
    events = await gateway.db.read(lambda c: c.execute(select(repo.T_EVENT.c.data).where(
        repo.T_EVENT.c.kind == "undeliverable")).scalars().all())
    assert all(repo.loads(d)["kind"] != "rating_ask" for d in events)
    # Inside the window the ask goes
    (o2,) = await gateway.intake.submit([InboundMessage(channel="memory", external_id="w2", sender="+62812",
                                                        text="Lampu jalan mati di Kel. Cikini")])

    def finish2(c):
        t = repo.ticket_by_tracking_id(c, o2.tracking_id)
        for status in ("PROSES", "MENUNGGU_VALIDASI", "SELESAI"):
            t = transition(c, gateway.policy, clock.now(), t, status, "staff:t")

    await gateway.db.write(finish2)
    rows = await gateway.db.read(lambda c: c.execute(select(repo.T_MESSAGE.c.kind).where(
        repo.T_MESSAGE.c.direction == "out")).scalars().all())
    assert rows.count("rating_ask") == 1


async def test_ratings_can_be_switched_off(gateway, memory, clock):
    gateway.config.ratings.enabled = False
    (o,) = await gateway.intake.submit([InboundMessage(channel="memory", external_id="s1", sender="+62811",
                                                       text="Sampah menumpuk di Kel. Bangka")])

    def finish(c):
        t = repo.ticket_by_tracking_id(c, o.tracking_id)
        for status in ("PROSES", "MENUNGGU_VALIDASI", "SELESAI"):
            t = transition(c, gateway.policy, clock.now(), t, status, "staff:t")

    await gateway.db.write(finish)
    (r,) = await gateway.intake.submit([InboundMessage(channel="memory", external_id="s2", sender="+62811",
                                                       text="5 terima kasih")])
    assert r.action != "rating"
    rows = await gateway.db.read(lambda c: c.execute(select(repo.T_MESSAGE.c.kind).where(
        repo.T_MESSAGE.c.direction == "out")).scalars().all())
    assert "rating_ask" not in rows
