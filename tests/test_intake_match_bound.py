"""Matching reads only the head of a long message (issue 16): the stored text stays whole, and what
lies past ``MATCH_CHARS`` neither categorises, locates nor threads the message."""
from __future__ import annotations

from bot.models import InboundMessage
from bot.textnorm import MATCH_CHARS
from store import repo

FILLER = "Mohon perhatiannya untuk hal berikut ini. " * (MATCH_CHARS // 20)


async def _ticket(gateway, external_id: str, text: str):
    msg = InboundMessage(channel="memory", external_id=external_id, sender=f"+62812000{external_id[-4:]}",
                         text=text)
    (outcome,) = await gateway.intake.submit([msg])
    assert outcome.action == "new_ticket", outcome
    return await gateway.db.read(repo.ticket_by_tracking_id, outcome.tracking_id), outcome


async def test_a_long_report_is_matched_on_its_head_only_and_stored_whole(gateway):
    complaint = "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka Kec. Mampang Prapatan"
    head_ticket, _ = await _ticket(gateway, "long-0001", complaint + ". " + FILLER)
    tail_ticket, _ = await _ticket(gateway, "long-0002", FILLER + complaint)
    assert head_ticket["category_code"] != tail_ticket["category_code"]
    assert head_ticket["area_code"] is not None and tail_ticket["area_code"] is None
    assert tail_ticket["description"].endswith(complaint)  # nothing cut from what the citizen wrote
    assert len(tail_ticket["description"]) > MATCH_CHARS


async def test_a_tracking_id_quoted_in_the_head_threads_one_past_it_does_not(gateway):
    first, outcome = await _ticket(gateway, "long-0003", "Lampu jalan mati di Jl. Sabang Kel. Kebon Sirih")
    follow = InboundMessage(channel="memory", external_id="long-0004", sender="+628120000003",
                            text=f"Laporan {outcome.tracking_id} belum ditangani. " + FILLER)
    (appended,) = await gateway.intake.submit([follow])
    assert appended.ticket_id == first["id"]
    late = InboundMessage(channel="memory", external_id="long-0005", sender="+628120000099",
                          text=FILLER + f" Laporan {outcome.tracking_id} belum ditangani.", standalone=False)
    (other,) = await gateway.intake.submit([late])
    assert other.ticket_id != first["id"]
