"""Ratings in the figures (fig_perf's rated / rating_total / rated_low), ``aduan report``, the performance
API and the dashboards (officers' views: tests/staff/test_rating_view.py, tests/web/test_console_rating.py)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.models import InboundMessage
from bot.reports import format_table, performance
from bot.tickets import transition
from store import figures, repo
from store import ratings as rating_store

# Three reports in two kelurahan, three agencies' categories.
REPORTS = [("+6281100000001", "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka"),
           ("+6281100000002", "Lampu jalan mati di Kel. Bangka dekat masjid"),
           ("+6281100000003", "Jalan berlubang besar di Jl. Cikini Raya Kel. Cikini")]


async def _rate_all(gateway, scores: list[str]) -> list[str]:
    tids = []
    for n, ((sender, text), reply) in enumerate(zip(REPORTS, scores)):
        (o,) = await gateway.intake.submit([InboundMessage(channel="memory", external_id=f"r{n}", sender=sender,
                                                           text=text)])
        tids.append(o.tracking_id)

        def finish(c, tid=o.tracking_id):
            t = repo.ticket_by_tracking_id(c, tid)
            for status in ("PROSES", "MENUNGGU_VALIDASI", "SELESAI"):
                t = transition(c, gateway.policy, gateway.clock.now(), t, status, "staff:t")

        await gateway.db.write(finish)
        (rated,) = await gateway.intake.submit([InboundMessage(channel="memory", external_id=f"x{n}", sender=sender,
                                                               text=reply)])
        assert rated.action == "rating", rated
    return tids


async def _tickets(gateway):
    return await gateway.db.read(lambda c: c.execute(select(repo.T_TICKET).order_by(repo.T_TICKET.c.id))
                                 .mappings().all())


async def test_figures_report_and_api_show_ratings(gateway, client):
    await _rate_all(gateway, ["5 bagus", "1 belum beres", "4"])
    tickets = await _tickets(gateway)
    assert [t["rating"] for t in tickets] == [5, 1, 4]
    assert await gateway.db.read(figures.verify) == []
    # rebuild recomputes the same sums (rows that went back to zero are not rewritten)
    def nonzero(conn):
        return {k: v for k, v in figures.stored(conn).items() if any(v.values())}

    before = await gateway.db.read(nonzero)
    await gateway.db.write(figures.rebuild)
    assert await gateway.db.read(nonzero) == before
    assert any(k[0] == "fig_perf" and v["rated"] for k, v in before.items())

    now = gateway.clock.now()
    for by, key in (("kelurahan", "area_code"), ("agency", "agency_code")):
        rows = await gateway.db.read(lambda c, by=by: performance(c, None, None, by, now=now))
        for row in rows:
            mine = [t["rating"] for t in tickets if (t[key] or None) == row["key"]]
            assert row["ratings"] == len(mine)
            assert row["rating_mean"] == (sum(mine) / len(mine) if mine else None)
            assert row["rating_low_share"] == (sum(r <= 2 for r in mine) / len(mine) if mine else None)
        table = format_table(rows)
        assert table.splitlines()[0].endswith("ratings  rating avg  rated 1-2")
    # a period: the month the tickets were created in, and one without them
    month = await gateway.db.read(lambda c: performance(c, now - timedelta(days=1), now + timedelta(days=1),
                                                        "kelurahan", now=now))
    assert sum(r["ratings"] for r in month) == 3
    bangka = next(r for r in month if r["name"] == "Bangka")
    assert (bangka["ratings"], bangka["rating_mean"], bangka["rating_low_share"]) == (2, 3.0, 0.5)
    later = await gateway.db.read(lambda c: performance(c, now + timedelta(days=40), now + timedelta(days=80),
                                                        "kelurahan", now=now))
    assert sum(r["ratings"] for r in later) == 0

    r = await client.get("/api/v1/performance", params={"by": "kelurahan"})
    assert r.status_code == 200, r.text
    groups = {g["name"]: g for g in r.json()["groups"]}
    assert (groups["Bangka"]["ratings"], groups["Bangka"]["rating_mean"], groups["Bangka"]["rating_low_share"]) \
        == (2, 3.0, 0.5)
    assert (groups["Cikini"]["ratings"], groups["Cikini"]["rating_mean"]) == (1, 4.0)


async def test_dashboards_show_the_ratings(gateway, client):
    await _rate_all(gateway, ["5 bagus", "1 belum beres", "4"])
    city = await client.get("/dashboard")
    assert city.status_code == 200
    section = city.text.split('id="ratings"', 1)[1].split("</section>", 1)[0]
    assert 'id="rating-average">3.33 / 5' in section and 'id="rating-count">3' in section
    assert 'id="rating-low">33%' in section
    assert 'id="rating-table"' in section  # per agency on the city page
    overall = await gateway.db.read(rating_store.overall)
    assert (overall.n, overall.total, overall.low) == (3, 10, 1)
    area = await client.get("/dashboard", params={"area": "Bangka"}, follow_redirects=True)
    assert area.status_code == 200
    section = area.text.split('id="ratings"', 1)[1].split("</section>", 1)[0]
    assert 'id="rating-average">3.00 / 5' in section and 'id="rating-count">2' in section
    assert 'id="rating-low">50%' in section
    empty = await client.get("/dashboard", params={"area": "Menteng"}, follow_redirects=True)
    assert "Belum ada penilaian" in empty.text
