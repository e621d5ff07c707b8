"""SELESAI notifications carry a one-time reopen link where the channel has room."""
from __future__ import annotations

import re

from bot.models import InboundMessage
from bot.tickets import transition
from store import repo


async def _finish(gateway, clock, tid):
    def run(c):
        t = repo.ticket_by_tracking_id(c, tid)
        for status in ("PROSES", "MENUNGGU_VALIDASI", "SELESAI"):
            t = transition(c, gateway.policy, clock.now(), t, status, "staff:t")

    await gateway.db.write(run)


async def test_done_message_has_working_reopen_link(gateway, memory, clock, client):
    from adapters.base import Capabilities

    memory.capabilities = Capabilities(max_text_length=4096, rate_per_second=1000, burst=1000,
                                       per_recipient_per_second=1000, per_recipient_burst=1000)
    (o,) = await gateway.intake.submit([InboundMessage(channel="memory", external_id="r1", sender="+62811",
                                                       text="Sampah menumpuk di Kel. Bangka")])
    await _finish(gateway, clock, o.tracking_id)
    for _ in range(3):
        await gateway.dispatcher.run_once()
    done = [m for m in memory.sent if m.kind != "rating_ask"][-1].text  # the rating ask follows it
    match = re.search(r"http://aduan\.test(/t/" + re.escape(o.tracking_id) + r"/buka\?token=\S+)", done)
    assert match, done
    page = await client.get(match.group(1))
    assert page.status_code == 200  # the confirmation form the link opens


async def test_short_channels_say_reply_buka_instead(gateway, memory, clock):
    from dataclasses import replace

    gateway.policy = replace(gateway.policy, links_fit=lambda channel: channel != "memory")
    gateway.intake.rules.policy = gateway.policy
    (o,) = await gateway.intake.submit([InboundMessage(channel="memory", external_id="r2", sender="+62812",
                                                       text="Pohon tumbang di Kel. Cikini")])
    await _finish(gateway, clock, o.tracking_id)
    for _ in range(3):
        await gateway.dispatcher.run_once()
    done = " ".join(m.text for m in memory.sent if "SELESAI" in m.text or "BUKA" in m.text)
    assert f"BUKA {o.tracking_id}" in done.replace("\n", " ") and "token=" not in done
