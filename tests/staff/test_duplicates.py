"""Duplicate reports (issue 15): possible duplicates linked at intake, ``gabung`` merges, followers' updates."""
from __future__ import annotations

import math

import itertools
import json
from typing import Any, AsyncIterator

import pytest

from bot import duplicates
from bot.models import InboundMessage
from store import duplicates as dup_store
from store import figures
from tests.staff.conftest import IDENTITY, Desk, build_desk, citizen_adapter, jpeg, picture
from tests.staff.test_telegram_group import OFFICER, answers, group, tg_desk  # noqa: F401 - a fixture

# Two points on Jl. Bangka Raya: 0.0004 degrees of latitude is 44.5 m, 0.0005 is 55.6 m.
LAT, LON = -6.2550, 106.8170
POTHOLE = "Jalan berlubang besar di Jl. Bangka Raya, bahaya untuk motor"
RUBBISH = "Sampah menumpuk di pinggir jalan Kel. Bangka sudah 3 hari"
_n = itertools.count(1)


@pytest.fixture
async def two_channel_desk(staff_config, database_url, clock, slack_api) -> AsyncIterator[Desk]:
    """The desk with a second citizen channel ("memory2"), so reporters are on channels of their own."""
    second = citizen_adapter(True)
    second.name = "memory2"  # type: ignore[misc]
    gw, desk = await build_desk(staff_config, database_url, clock, slack_api, citizen_adapter(True),
                                extra=[(second, [])])
    desk.second = second  # type: ignore[attr-defined]
    try:
        yield desk
    finally:
        await desk.client.aclose()
        await gw.stop()


async def submit(desk: Desk, text: str, *, lat: float | None = None, lon: float | None = None,
                 sender: str | None = None, channel: str = "memory", external_id: str | None = None,
                 photo: bytes | None = None) -> Any:
    from bot.models import InboundAttachment

    n = next(_n)
    msg = InboundMessage(channel=channel, external_id=external_id or f"dup-{n}", sender=sender or f"+62812555{n:05d}",
                         text=text, standalone=True, latitude=lat, longitude=lon,
                         attachments=[InboundAttachment(photo, "image/jpeg")] if photo else [])
    (outcome,) = await desk.gw.intake.submit([msg])
    await desk.gw.intake.settled()  # its possible duplicates are looked up just after its commit
    return outcome


async def links(desk: Desk, tracking_id: str) -> list[Any]:
    await desk.gw.intake.settled()
    t = await desk.ticket(tracking_id)
    return await desk.gw.db.read(dup_store.links_of, t["id"])


def test_the_grid_reads_every_cell_a_circle_touches_and_no_more_than_it_needs():
    """Points on and inside circles of 50 m and 120 m around random centres always fall in a cell that was read;
    for 50 m at most 9 cells are read, and fewer on average (the corners a circle misses are left out)."""
    import random

    from bot.boundaries import distance_km

    rng = random.Random(15)
    counts = []
    for _ in range(400):
        lat, lon = rng.uniform(-6.37, -6.08), rng.uniform(106.68, 106.97)
        for radius in (50, 120):
            cells = set(duplicates.cells_near(lat, lon, radius))
            if radius == 50:
                counts.append(len(cells))
            assert duplicates.cell_of(lat, lon) in cells
            for k in range(72):
                bearing = math.radians(k * 5)
                for part in (0.5, 0.999):
                    d = radius * part
                    plat = lat + d * math.cos(bearing) / 111_320
                    plon = lon + d * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
                    assert distance_km(lat, lon, plat, plon) * 1000 <= radius + 0.5
                    assert duplicates.cell_of(plat, plon) in cells, (lat, lon, radius, k, part)
    assert max(counts) <= 9 and sum(counts) / len(counts) < 7.5
    assert len(duplicates.cells_near(LAT, LON, 120)) <= 25


async def test_distance_just_inside_and_outside_the_radius(desk):
    first = await submit(desk, POTHOLE, lat=LAT, lon=LON)
    inside = await submit(desk, "Ada lubang di jalan, motor jatuh", lat=LAT + 0.0004, lon=LON)  # 44.5 m
    outside = await submit(desk, "Jalan rusak berlubang dalam", lat=LAT - 0.0005, lon=LON)  # 55.6 m
    assert {inside.action, outside.action} == {"new_ticket"}  # each still gets its own ticket
    (link,) = await links(desk, inside.tracking_id)
    assert (link["tracking_id"], link["kind"], link["reason"]) == (first.tracking_id, "possible_duplicate", "distance")
    assert 44 <= link["distance_m"] <= 45
    # Outside 50 m of the first; 100 m from the second: no link of its own.
    assert [lk["tracking_id"] for lk in await links(desk, outside.tracking_id)] == []
    # The first one shows the newer one linked to it.
    assert [lk["tracking_id"] for lk in await links(desk, first.tracking_id)] == [inside.tracking_id]
    # Each reporter got their own acknowledgement.
    await desk.pump()
    assert sum("Laporan Anda diterima" in m.text for m in desk.citizen.sent) == 3


async def test_other_category_and_closed_reports_are_not_matched(desk):
    pothole = await submit(desk, POTHOLE, lat=LAT, lon=LON)
    rubbish = await submit(desk, "Tumpukan sampah belum diangkut", lat=LAT, lon=LON)
    t1, t2 = await desk.ticket(pothole.tracking_id), await desk.ticket(rubbish.tracking_id)
    assert t1["category_code"] != t2["category_code"]
    assert await links(desk, rubbish.tracking_id) == []
    await desk.run("U_ADMIN", f"tolak {pothole.tracking_id} bukan wewenang")
    assert (await desk.ticket(pothole.tracking_id))["status"] == "DITOLAK"
    again = await submit(desk, "Lubang besar di jalan depan rumah", lat=LAT, lon=LON)
    assert await links(desk, again.tracking_id) == []


async def test_near_identical_text_in_the_same_kelurahan_within_the_window(desk, clock):
    first = await submit(desk, RUBBISH)
    assert (await desk.ticket(first.tracking_id))["area_code"] == "31.74.03.1002"
    same = await submit(desk, "sampah MENUMPUK di pinggir jalan, Kel. Bangka sudah 3 hari!!")
    (link,) = await links(desk, same.tracking_id)
    assert (link["tracking_id"], link["reason"], link["distance_m"]) == (first.tracking_id, "text", None)
    # The same words in another kelurahan: not linked.
    elsewhere = await submit(desk, "Sampah menumpuk di pinggir jalan Kel. Kuningan Barat sudah 3 hari")
    assert (await desk.ticket(elsewhere.tracking_id))["area_code"] != "31.74.03.1002"
    assert await links(desk, elsewhere.tracking_id) == []
    # A different complaint in the same kelurahan: not linked.
    other = await submit(desk, "Lampu penerangan jalan mati di Kel. Bangka")
    assert await links(desk, other.tracking_id) == []
    # After the window (48 h): not linked any more.
    clock.advance(hours=49)
    late = await submit(desk, RUBBISH)
    assert await links(desk, late.tracking_id) == []


async def test_a_redelivery_makes_no_second_link_and_disabled_detection_makes_none(desk):
    first = await submit(desk, POTHOLE, lat=LAT, lon=LON)
    second = await submit(desk, POTHOLE, lat=LAT, lon=LON, external_id="redelivered")
    again = await submit(desk, POTHOLE, lat=LAT, lon=LON, external_id="redelivered")
    assert again.duplicate and again.tracking_id == second.tracking_id
    assert len(await links(desk, second.tracking_id)) == 1
    assert len(await links(desk, first.tracking_id)) == 1
    desk.gw.config.duplicates.enabled = False
    try:
        third = await submit(desk, POTHOLE, lat=LAT, lon=LON)
    finally:
        desk.gw.config.duplicates.enabled = True
    assert await links(desk, third.tracking_id) == []


async def test_officers_see_the_link_in_lihat_with_the_gabung_hint(desk):
    first = await submit(desk, POTHOLE, lat=LAT, lon=LON)
    second = await submit(desk, POTHOLE, lat=LAT + 0.0001, lon=LON)
    text = await desk.run("U_ADMIN", f"lihat {second.tracking_id}")
    assert f"Kemungkinan duplikat: {first.tracking_id} (Menunggu; kategori sama, 11 m)" in text
    assert f"/aduan gabung {second.tracking_id} <nomor-utama>" in text
    # In the officer's language (a DLH officer reading English: rubbish reports are DLH's).
    rubbish = await submit(desk, "Tumpukan sampah belum diangkut", lat=LAT, lon=LON)
    again = await submit(desk, "Sampah menggunung di trotoar", lat=LAT, lon=LON + 0.0002)
    english = await desk.run("U_DLH_EN", f"show {rubbish.tracking_id}")
    assert f"Possible duplicate: {again.tracking_id} (Waiting; same category, 22 m)" in english
    assert f"/aduan merge {rubbish.tracking_id} <main-number>" in english


async def _merge_pair(desk: Desk) -> tuple[str, str]:
    main = await submit(desk, RUBBISH, sender="+6281211110001")
    dup = await submit(desk, "Sampah menumpuk di pinggir jalan Kel. Bangka, belum diangkut sudah 3 hari",
                       sender="someone@example.org", channel="memory2")
    return main.tracking_id, dup.tracking_id


async def test_gabung_merges_and_both_reporters_get_every_later_update(two_channel_desk):
    desk = two_channel_desk
    second = desk.second  # type: ignore[attr-defined]
    main, dup = await _merge_pair(desk)
    refused = await desk.run("U_ADMIN", f"gabung {dup} {dup}")
    assert refused == f"Laporan {dup} tidak dapat digabung ke dirinya sendiri."
    reply = await desk.run("U_DLH", f"gabung {dup} {main}")
    assert reply == f"Laporan {dup} digabung ke {main}. Pelapornya kini mengikuti {main} dan sudah diberi tahu."
    merged = await desk.ticket(dup)
    main_row = await desk.ticket(main)
    assert merged["status"] == "DITOLAK" and merged["merged_into_id"] == main_row["id"]
    # Audited: the status event by the officer, with where it went; the main ticket records it too.
    (closing,) = [e for e in await desk.events(dup) if e["to_status"] == "DITOLAK"]
    assert closing["actor"] == "staff:dlh-1" and json.loads(closing["data"])["merged_into"] == main
    assert [e["kind"] for e in await desk.events(main)][-1] == "merged"
    await desk.pump()
    told = second.texts_to("someone@example.org")[-1]
    assert told.startswith(f"Laporan Anda {dup} digabung dengan {main}") and f"/t/{main}" in told
    # Merging again, or into the merged one, is refused.
    assert "sudah Ditolak atau sudah digabung" in await desk.run("U_DLH", f"gabung {dup} {main}")
    assert "sudah Ditolak atau sudah digabung" in await desk.run("U_DLH", f"gabung {main} {dup}")
    assert f"Digabung ke {main}." in await desk.run("U_DLH", f"lihat {dup}")
    assert f"Laporan yang digabung ke sini: {dup}" in await desk.run("U_DLH", f"lihat {main}")

    # The next status update and the proof photo reach both reporters, each on their own channel.
    await desk.run("U_DLH", f"proses {main}")
    await desk.pump()
    assert desk.citizen.texts_to("+6281211110001")[-1].startswith(f"Laporan {main}: status sekarang Proses")
    assert second.texts_to("someone@example.org")[-1].startswith(f"Laporan {main}: status sekarang Proses")
    await desk.photo_in_thread(main, "U_DLH", jpeg(picture(71)), text="selesai")
    await desk.run("U_VAL", f"validasi {main}")
    await desk.pump()
    reporter_done = [m for m in desk.citizen.sent if m.recipient == "+6281211110001" and m.kind != "rating_ask"][-1]
    follower_done = [m for m in second.sent if m.recipient == "someone@example.org"][-1]
    # Only the reporter is offered to reopen it.
    assert f"Laporan {main} SELESAI" in reporter_done.text and "Belum beres?" in reporter_done.text
    assert f"Laporan {main} yang Anda ikuti SELESAI" in follower_done.text and "Belum beres" not in follower_done.text
    assert reporter_done.media_path and follower_done.media_path == reporter_done.media_path
    # Never one citizen's address in another's message.
    assert "someone@example.org" not in " ".join(m.text for m in desk.citizen.sent)
    assert "6281211110001" not in " ".join(m.text for m in second.sent)

    # The figures count the main ticket once: they agree with a recomputation, and the merged one is absent.
    assert await desk.gw.db.read(figures.verify) == []
    stored = await desk.gw.db.read(figures.stored)
    counts = {k: v for k, v in stored.items() if k[0] == "fig_count" and v.get("n")}
    assert sum(v["n"] for v in counts.values()) == 1


async def test_gabung_refuses_other_kelurahan_unless_forced_and_checks_scope_of_both(desk):
    bangka = await submit(desk, RUBBISH)
    kuningan = await submit(desk, "Sampah menumpuk di pinggir jalan Kel. Kuningan Barat sudah 3 hari")
    # The Bangka lurah has the first in scope but not the second: refused, and the refusal is audited.
    refused = await desk.run("U_LURAH", f"gabung {bangka.tracking_id} {kuningan.tracking_id}")
    assert "Ditolak" in refused or "wilayah" in refused.lower()
    denied = [e for e in await desk.events(bangka.tracking_id) if e["kind"] == "staff_denied"]
    assert denied and json.loads(denied[-1]["data"])["command"] == "gabung"
    assert (await desk.ticket(bangka.tracking_id))["merged_into_id"] is None
    # An officer with both in scope is told they lie in different kelurahan ...
    text = await desk.run("U_ADMIN", f"gabung {bangka.tracking_id} {kuningan.tracking_id}")
    assert "kelurahan berbeda" in text and f"{kuningan.tracking_id} paksa" in text
    # ... and may insist.
    done = await desk.run("U_ADMIN", f"merge {bangka.tracking_id} {kuningan.tracking_id} force")
    assert done.startswith(f"Laporan {bangka.tracking_id} digabung ke {kuningan.tracking_id}")
    assert await desk.gw.db.read(figures.verify) == []
    for secret in IDENTITY:
        assert secret not in desk.everything_slack_saw()


async def test_gabung_from_the_telegram_staff_group(tg_desk):  # noqa: F811 - the imported fixture
    desk = tg_desk
    main = (await submit(desk, RUBBISH, sender="+6281211110001")).tracking_id
    dup = (await submit(desk, RUBBISH, sender="+6281211110002")).tracking_id
    await group(desk, OFFICER, text=f"/aduan gabung {dup} {main}")
    assert answers(desk)[-1] == f"Laporan {dup} digabung ke {main}. Pelapornya kini mengikuti {main} dan sudah diberi tahu."
    assert (await desk.ticket(dup))["merged_into_id"] == (await desk.ticket(main))["id"]
    followers = await desk.gw.db.read(dup_store.followers, (await desk.ticket(main))["id"])
    assert [(f["channel"], f["address"]) for f in followers] == [("memory", "+6281211110002")]


async def test_merged_ticket_page_points_to_the_main_one(desk):
    main, dup = (await submit(desk, RUBBISH)).tracking_id, (await submit(desk, RUBBISH)).tracking_id
    await desk.run("U_ADMIN", f"gabung {dup} {main}")
    page = await desk.client.get(f"/t/{dup}")
    assert page.status_code == 200
    assert f'href="/t/{main}"' in page.text and "Laporan ini digabung ke" in page.text


async def test_reports_of_one_group_commit_link_the_newer_to_the_older_once(desk):
    msgs = [InboundMessage(channel="memory", external_id=f"group-{k}", sender=f"+6281266660{k:03d}", text=POTHOLE,
                           standalone=True, latitude=LAT, longitude=LON + k * 0.0001) for k in range(2)]
    older, newer = await desk.gw.intake.submit(msgs)
    assert older.action == newer.action == "new_ticket"
    first, second = await desk.ticket(older.tracking_id), await desk.ticket(newer.tracking_id)
    assert first["id"] < second["id"]
    (link,) = await links(desk, newer.tracking_id)
    assert link["newer"] and link["tracking_id"] == older.tracking_id and link["reason"] == "distance"
    (back,) = await links(desk, older.tracking_id)
    assert not back["newer"] and back["tracking_id"] == newer.tracking_id


async def test_the_same_words_far_apart_are_not_linked_when_both_have_coordinates(desk):
    first = await submit(desk, RUBBISH, lat=LAT, lon=LON)
    far = await submit(desk, RUBBISH, lat=LAT - 0.002, lon=LON)  # 222 m away, the same kelurahan
    assert (await desk.ticket(far.tracking_id))["area_code"] == (await desk.ticket(first.tracking_id))["area_code"]
    assert await links(desk, far.tracking_id) == []
    # Without coordinates, the same words in the same kelurahan are a possible duplicate of it.
    unplaced = await submit(desk, RUBBISH)
    assert [lk["reason"] for lk in await links(desk, unplaced.tracking_id)] == ["text"]


async def test_the_lookup_runs_after_the_commit_so_the_citizen_is_answered_without_waiting_for_it(desk, monkeypatch):
    """A group's tickets are looked up once its citizens are answered, at the start of the next group's
    transaction (or alone when no group follows): no answer waits for a lookup (issue 15: at most 10 % off
    in-process ingest)."""
    looked_up: list[list[int]] = []
    real = duplicates.find_links

    def recorded(conn, queued, kept=None):
        looked_up.append([q.ticket["id"] for q in queued])
        return real(conn, queued, kept)

    monkeypatch.setattr(duplicates, "find_links", recorded)
    desk.gw.intake.idle_link_after = 3600  # no timer: only the next group, or settled(), runs the lookup
    msgs = [InboundMessage(channel="memory", external_id=f"held-{k}", sender=f"+6281277770{k:03d}", text=POTHOLE,
                           standalone=True, latitude=LAT, longitude=LON) for k in range(2)]
    first = (await desk.gw.intake.submit(msgs[:1]))[0]
    assert first.action == "new_ticket" and looked_up == []  # answered, not yet looked up
    second = (await desk.gw.intake.submit(msgs[1:]))[0]
    one, two = await desk.ticket(first.tracking_id), await desk.ticket(second.tracking_id)
    assert looked_up == [[one["id"]]]  # the first group's lookup ran with the second group
    assert await desk.gw.db.read(dup_store.links_of, two["id"]) == []  # the second's waits for the next group
    (link,) = await links(desk, second.tracking_id)  # settled(): linked on its own
    assert looked_up == [[one["id"]], [two["id"]]]
    assert (link["tracking_id"], link["reason"]) == (first.tracking_id, "distance")


async def test_a_stop_between_the_commit_and_the_lookup_is_made_good_at_the_next_start(desk, monkeypatch):
    """Links are written just after their group's commit; if the lookup never ran (the process stopped, or the
    lookup failed), the next start looks up the last minutes' tickets again, and a link found twice is kept once."""
    real = duplicates.find_links

    def lost(conn, queued, kept=None):
        raise RuntimeError("killed between the commit and the lookup")

    monkeypatch.setattr(duplicates, "find_links", lost)
    first = await submit(desk, POTHOLE, lat=LAT, lon=LON)
    second = await submit(desk, POTHOLE, lat=LAT + 0.0001, lon=LON)
    assert await links(desk, second.tracking_id) == []
    monkeypatch.setattr(duplicates, "find_links", real)
    for _ in range(2):  # what two starts do: the second finds the link again and keeps one
        await desk.gw.intake.recheck_duplicates()
    (link,) = await links(desk, second.tracking_id)
    assert link["tracking_id"] == first.tracking_id and link["reason"] == "distance"
    desk.clock.advance(minutes=duplicates.RECHECK_MINUTES + 1)
    third = await submit(desk, POTHOLE, lat=LAT - 0.0001, lon=LON)
    assert len(await links(desk, third.tracking_id)) == 2  # the normal path: both older reports


def test_migration_0016_matches_the_tables_and_downgrades(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine, inspect

    from store.migrate import downgrade, upgrade
    from store.tables import metadata

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    ours = [d for d in diff if any(k in repr(d) for k in ("ticket_link", "ticket_follower", "geo_cell",
                                                             "merged_into_id"))]
    assert ours == [], ours
    downgrade(url, "0014_area_geometry")
    inspector = inspect(create_engine(url))
    assert not {"ticket_link", "ticket_follower"} & set(inspector.get_table_names())
    assert not {"geo_cell", "merged_into_id"} & {c["name"] for c in inspector.get_columns("ticket")}
    upgrade(url)
    assert {"ticket_link", "ticket_follower"} <= set(inspect(create_engine(url)).get_table_names())


def test_the_text_test_equals_rapidfuzz_token_sort_ratio_pair_by_pair():
    """The text test compares pre-sorted tokens in one rapidfuzz call; it must pick what pair-by-pair
    token-sort ratios pick: the best score at or above the cutoff, the first of equals, nothing below."""
    import random

    from rapidfuzz import fuzz

    from bot.textnorm import normalize

    rng = random.Random(15)
    words = (RUBBISH + " " + POTHOLE + " lampu mati got mampet banjir RT 05 RW 03 gang mawar").split()
    for _ in range(300):
        mine = " ".join(rng.choice(words) for _ in range(rng.randint(3, 25)))
        others = {k: " ".join(rng.sample(mine.split(), len(mine.split())) + rng.choices(words, k=rng.randint(0, 3)))
                  for k in range(rng.randint(1, 10))}
        cutoff = rng.choice([60, 80, 90])
        scores = {k: fuzz.token_sort_ratio(normalize(mine), normalize(v)) for k, v in others.items()}
        good = {k: v for k, v in scores.items() if v >= cutoff}
        want = max(good, key=lambda k: (good[k], -k)) if good else None
        got = duplicates._most_alike(duplicates.sorted_tokens(mine),
                                     {k: duplicates.sorted_tokens(v) for k, v in others.items()}, cutoff)
        assert got == want, (mine, others, cutoff, scores)


@pytest.mark.parametrize("catch_up_rows", [5000, 1], ids=["caught-up", "read-afresh"])
async def test_the_text_test_sees_what_another_process_wrote_and_never_links_a_merged_report(desk, monkeypatch,
                                                                                             catch_up_rows):
    """Intake keeps each kelurahan's newest reports in memory between lookups (bot/duplicate_candidates.py). A report
    written meanwhile by another process is caught up with; a kept report merged meanwhile is not linked, the
    next most alike is. With a catch-up too large (1 row here), the kelurahan are read afresh: same links."""
    from sqlalchemy import update

    from bot import duplicate_candidates
    from store import repo

    monkeypatch.setattr(duplicate_candidates, "CATCH_UP_ROWS", catch_up_rows)
    first = await submit(desk, RUBBISH)  # its kelurahan is now kept
    row = dict(await desk.ticket(first.tracking_id))

    def another_process(conn):
        values = {k: v for k, v in row.items() if k != "id"}
        values.update(tracking_id="JKT-OTHR-PROC", description=RUBBISH + " ya", created_at=desk.clock.now())
        other_id = repo.insert_ticket(conn, values)
        conn.execute(update(repo.T_TICKET).where(repo.T_TICKET.c.id == row["id"])
                     .values(merged_into_id=other_id, status="DITOLAK"))
        return other_id

    other_id = await desk.gw.db.write(another_process)
    same = await submit(desk, "sampah MENUMPUK di pinggir jalan, Kel. Bangka sudah 3 hari!!")
    (link,) = await links(desk, same.tracking_id)
    assert (link["tracking_id"], link["reason"]) == ("JKT-OTHR-PROC", "text")
    assert await desk.gw.db.read(dup_store.merged, [row["id"], other_id]) == {row["id"]}


@pytest.mark.parametrize("catch_up_rows", [5000, 1], ids=["caught-up", "read-afresh"])
async def test_the_distance_test_sees_reports_placed_closed_or_reopened_by_another_process(desk, monkeypatch,
                                                                                          catch_up_rows):
    """The open placed reports are kept by grid cell between lookups: a report another process writes is caught
    up with; one it closes is not linked (every match is checked); one it reopens or places is a candidate again
    once the points are read afresh (every RELOAD_MINUTES, on the injected clock)."""
    from sqlalchemy import update

    from bot import duplicate_candidates
    from store import repo

    monkeypatch.setattr(duplicate_candidates, "CATCH_UP_ROWS", catch_up_rows)
    first = await submit(desk, POTHOLE, lat=LAT, lon=LON)  # the points are now kept
    row = dict(await desk.ticket(first.tracking_id))
    other = {k: v for k, v in row.items() if k != "id"}

    async def set_status(ticket_id: int, **values: Any) -> None:
        await desk.gw.db.write(lambda conn: conn.execute(update(repo.T_TICKET).where(repo.T_TICKET.c.id == ticket_id)
                                                         .values(**values)))

    await desk.gw.db.write(lambda conn: repo.insert_ticket(conn, dict(
        other, tracking_id="JKT-OTHR-PNT1", latitude=LAT + 0.0002, created_at=desk.clock.now(),
        geo_cell=duplicates.cell_of(LAT + 0.0002, LON))))
    await set_status(row["id"], status="SELESAI")  # closed by an officer of another process
    second = await submit(desk, POTHOLE, lat=LAT + 0.0001, lon=LON)
    assert [(lk["tracking_id"], lk["reason"]) for lk in await links(desk, second.tracking_id)] == [
        ("JKT-OTHR-PNT1", "distance")]
    await set_status(row["id"], status="PROSES")  # reopened: a candidate again once the points are read afresh
    desk.clock.advance(minutes=duplicate_candidates.RELOAD_MINUTES)
    third = await submit(desk, POTHOLE, lat=LAT - 0.0001, lon=LON)
    assert {lk["tracking_id"] for lk in await links(desk, third.tracking_id)} == {
        first.tracking_id, second.tracking_id, "JKT-OTHR-PNT1"}
