from __future__ import annotations

from bot.models import InboundMessage


async def test_report_creates_ticket_and_ack(gateway, memory):
    msg = InboundMessage(channel="memory", external_id="m1", sender="+6281234567890",
                         text="Sampah menumpuk di Jl. Kemang Raya Kel. Bangka Kec. Mampang Prapatan")
    (outcome,) = await gateway.intake.submit([msg])
    assert outcome.action == "new_ticket"
    assert outcome.tracking_id.startswith("JKT-")
    await gateway.dispatcher.run_once()
    assert len(memory.sent) == 1
    assert outcome.tracking_id in memory.sent[0].text
