"""A group commit's tracking IDs are drawn together and checked free in one statement (bot/tracking_draw.py): at a
history of 1,000,000 tickets about one new ID in 27,500 is taken already, and a taken ID found only at the
write-behind flush failed the whole group, which was then redone message by message."""
from __future__ import annotations

import asyncio
import itertools
import logging

from bot import tracking_draw
from bot.models import InboundMessage
from bot.tracking import format_id
from store import repo


def _ids(bodies: list[str]) -> list[str]:
    from adapters.contract.tracking import _check_symbol

    return [format_id("JKT", body + _check_symbol(body)) for body in bodies]


async def test_a_taken_id_drawn_in_a_group_is_left_out_and_the_group_commits_as_one(gateway, monkeypatch, caplog):
    first = (await gateway.intake.submit([InboundMessage(channel="memory", external_id="old", sender="+6281200001",
                                                         text="Lampu jalan mati di Kel. Gambir")]))[0]
    # The draws: the first ticket's ID (taken), the same new ID twice (one group, one ticket each), then others.
    fresh = _ids(["2222222", "3333333", "4444444", "5555555", "6666666"])
    draws = itertools.chain([first.tracking_id, fresh[0], fresh[0]], fresh[1:], itertools.repeat(None))
    monkeypatch.setattr(tracking_draw, "new_tracking_id", lambda prefix: next(draws))
    msgs = [InboundMessage(channel="memory", external_id=f"g{k}", sender=f"+628121000{k}",
                           text=f"Jalan berlubang nomor {k} Kel. Gambir") for k in range(3)]
    batches = gateway.intake.batches
    with caplog.at_level(logging.WARNING):
        outcomes = await asyncio.gather(*[gateway.intake.submit([m]) for m in msgs])
    ids = [o.tracking_id for (o,) in outcomes]
    assert [o.action for (o,) in outcomes] == ["new_ticket"] * 3
    assert gateway.intake.batches == batches + 1  # one group commit
    assert "redoing the batch one by one" not in caplog.text
    assert len(set(ids)) == 3 and first.tracking_id not in ids and set(ids) <= set(fresh)


async def test_taken_tracking_ids_are_found_in_one_statement(gateway):
    (outcome,) = await gateway.intake.submit([InboundMessage(channel="memory", external_id="one", sender="+62812999",
                                                             text="Sampah menumpuk di Kel. Gambir")])
    free = _ids(["7777777"])[0]
    assert await gateway.db.read(repo.taken_tracking_ids, [outcome.tracking_id, free]) == {outcome.tracking_id}
    assert await gateway.db.read(repo.taken_tracking_ids, []) == set()
