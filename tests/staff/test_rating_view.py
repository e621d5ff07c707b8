"""Officers see the citizen's rating in ``lihat`` (its comment redacted like every citizen text)."""
from __future__ import annotations

from bot.models import InboundMessage
from bot.tickets import transition
from store import repo
from tests.staff.conftest import REPORTER_PHONE


async def test_lihat_shows_the_rating_and_its_history(desk):
    tid = await desk.report()

    def finish(c):
        t = repo.ticket_by_tracking_id(c, tid)
        for status in ("PROSES", "MENUNGGU_VALIDASI", "SELESAI"):
            t = transition(c, desk.gw.policy, desk.gw.clock.now(), t, status, "staff:t")

    await desk.gw.db.write(finish)
    (o,) = await desk.gw.intake.submit([InboundMessage(
        channel="memory", external_id="rate-1", sender=REPORTER_PHONE,
        text=f"2 belum beres, telepon saya di {REPORTER_PHONE}")])
    assert o.action == "rating"
    text = await desk.run("U_ADMIN", f"lihat {tid}")
    assert "Nilai pelapor: 2/5 (belum beres" in text
    assert "dinilai pelapor 2/5" in text  # the timeline
    assert REPORTER_PHONE not in text and REPORTER_PHONE[3:] not in text
