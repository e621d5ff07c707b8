"""The console ticket page shows the citizen's rating, the comment redacted."""
from __future__ import annotations

from bot.models import InboundMessage
from tests.web.conftest import finish, report
from tests.web.test_console import config, sign_in  # noqa: F401 - the console's officers (fixture)


async def test_console_ticket_page_shows_the_rating(client, gateway):
    tid = await report(gateway, "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka", external_id="t1",
                       sender="+6281200000077")
    await finish(gateway, tid)
    (o,) = await gateway.intake.submit([InboundMessage(channel="memory", external_id="t2", sender="+6281200000077",
                                                       text="1 belum beres, hubungi +6281200000077")])
    assert o.action == "rating"
    await sign_in(client, gateway, "lurah-bangka")
    page = await client.get(f"/petugas/t/{tid}")
    assert page.status_code == 200
    rating = page.text.split('id="rating">', 1)[1].split("</dd>", 1)[0]
    assert "1/5" in rating and "belum beres" in rating
    assert "+6281200000077" not in page.text
