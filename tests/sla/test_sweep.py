"""The SLA sweep on an injected clock: warnings at 80 %, breaches, extensions, pauses, working hours."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from scheduler.jobs import sla_sweep
from tests.conftest import make_config
from tests.sla.conftest import alerts, extend, messages, move, report, sweeper

WIB = ZoneInfo("Asia/Jakarta")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 08:00 WIB


async def _sweep_at(gw, clock, when: datetime) -> int:
    clock.set(when)
    return await sweeper(gw).sweep(gw, clock.now())


def _local(t: datetime) -> str:
    return t.astimezone(WIB).strftime("%Y-%m-%d %H:%M WIB")


async def test_deadlines_follow_config_and_category_overrides(make_gateway, clock, tmp_path, database_url):
    clock.set(T0)
    gw = await make_gateway()
    t = await report(gw)
    assert (t["category_code"], t["created_at"]) == ("sampah", T0)
    assert t["coordinate_due"] == T0 + timedelta(hours=6)
    assert t["resolve_due"] == T0 + timedelta(hours=168)
    assert t["paused_hours"] == 0 and t["paused_at"] is None

    cfg = make_config(tmp_path, database_url)
    categories = [c.model_copy(update=dict(coordinate_hours=2, resolve_hours=24)) if c.code == "sampah" else c
                  for c in cfg.categories]
    gw2 = await make_gateway(cfg.model_copy(update=dict(categories=categories)))
    t2 = await report(gw2, sender="+6281100000002")
    assert t2["coordinate_due"] == T0 + timedelta(hours=2)
    assert t2["resolve_due"] == T0 + timedelta(hours=24)


async def test_warnings_at_80_percent_and_breaches_once_each(make_gateway, clock, officer_calls, config):
    clock.set(T0)
    gw = await make_gateway()
    t = await report(gw)
    coord_due, resolve_due = T0 + timedelta(hours=6), T0 + timedelta(hours=168)

    # Coordination: 80 % of 6 h is 4 h 48 min.
    assert await _sweep_at(gw, clock, T0 + timedelta(hours=4, minutes=47, seconds=59)) == 0
    assert await _sweep_at(gw, clock, T0 + timedelta(hours=4, minutes=48)) == 1
    assert await _sweep_at(gw, clock, T0 + timedelta(hours=5)) == 0  # not again
    assert [(c["escalate"], c["ticket_id"]) for c in officer_calls] == [(False, t["id"])]
    warning = officer_calls[0]["text"]
    assert warning == config.templates["id"]["sla_coordinate_warning"].format(
        tracking_id=t["tracking_id"], category="Sampah", area="Bangka", agency="DLH", deadline=_local(coord_due),
        hours="1.2", status="Menunggu", url=f"http://aduan.test/t/{t['tracking_id']}")
    assert "2026-03-02 14:00 WIB" in warning

    assert await _sweep_at(gw, clock, coord_due - timedelta(seconds=1)) == 0
    assert await _sweep_at(gw, clock, coord_due) == 1
    assert officer_calls[-1]["escalate"] is True
    assert "ESKALASI" in officer_calls[-1]["text"] and t["tracking_id"] in officer_calls[-1]["text"]
    assert await _sweep_at(gw, clock, coord_due + timedelta(hours=3)) == 0

    # Coordinated: no more coordination alerts; the resolution clock keeps running.
    clock.set(T0 + timedelta(hours=10))
    await move(gw, t["id"], "PROSES")
    warn_at = T0 + timedelta(hours=168 * 0.8)  # 134 h 24 min
    assert await _sweep_at(gw, clock, warn_at - timedelta(minutes=1)) == 0
    assert await _sweep_at(gw, clock, warn_at) == 1
    assert officer_calls[-1]["escalate"] is False and "harus selesai sebelum" in officer_calls[-1]["text"]
    assert await _sweep_at(gw, clock, resolve_due) == 1
    assert officer_calls[-1]["escalate"] is True and "batas penyelesaian" in officer_calls[-1]["text"]
    assert await _sweep_at(gw, clock, resolve_due + timedelta(days=3)) == 0

    rows = await alerts(gw, t["id"])
    assert [(a["kind"], a["deadline"], a["superseded"]) for a in rows] == [
        ("coordinate_warning", coord_due, False), ("coordinate_breach", coord_due, False),
        ("resolve_warning", resolve_due, False), ("resolve_breach", resolve_due, False)]
    assert [a["message_id"] for a in rows] == [c["message_id"] for c in officer_calls]
    msgs = await messages(gw, [a["message_id"] for a in rows])
    assert len(msgs) == 4
    for a, c in zip(rows, officer_calls):
        m = msgs[a["message_id"]]
        assert (m["direction"], m["status"], m["ticket_id"], m["text"]) == ("out", "queued", t["id"], c["text"])

    # Closed tickets are never alerted.
    clock.set(resolve_due + timedelta(days=4))
    await move(gw, t["id"], "MENUNGGU_VALIDASI")
    await move(gw, t["id"], "SELESAI")
    assert await _sweep_at(gw, clock, resolve_due + timedelta(days=30)) == 0


async def test_a_missed_warning_is_superseded_by_the_breach(make_gateway, clock, officer_calls):
    clock.set(T0)
    gw = await make_gateway()
    t = await report(gw)
    # The first sweep after a long outage: both coordination alerts are due; only the escalation goes out.
    assert await _sweep_at(gw, clock, T0 + timedelta(hours=7)) == 1
    assert [c["escalate"] for c in officer_calls] == [True]
    rows = await alerts(gw, t["id"])
    assert [(a["kind"], a["superseded"], a["message_id"] is None) for a in rows] == [
        ("coordinate_warning", True, True), ("coordinate_breach", False, False)]
    assert await _sweep_at(gw, clock, T0 + timedelta(hours=8)) == 0


async def test_through_the_scheduler_job(make_gateway, clock):
    """``scheduler.jobs.sla_sweep`` runs the hook the gateway registered, on the gateway's clock."""
    clock.set(T0)
    gw = await make_gateway()
    t = await report(gw)
    clock.set(T0 + timedelta(hours=5))
    await sla_sweep(gw)
    assert [a["kind"] for a in await alerts(gw, t["id"])] == ["coordinate_warning"]


async def test_extension_gets_new_alerts_and_old_ones_are_not_repeated(make_gateway, clock, officer_calls):
    clock.set(T0)
    gw = await make_gateway()
    t = await report(gw)
    clock.set(T0 + timedelta(hours=1))
    await move(gw, t["id"], "PROSES")
    old_due = T0 + timedelta(hours=168)
    assert await _sweep_at(gw, clock, T0 + timedelta(hours=135)) == 1  # resolve warning (old deadline)
    assert await _sweep_at(gw, clock, old_due) == 1  # resolve breach (old deadline)

    # perpanjang 48 h, just after the breach: a new deadline, 216 h after filing.
    clock.set(old_due + timedelta(minutes=5))
    t = await extend(gw, t["id"], 48)
    new_due = old_due + timedelta(hours=48)
    assert t["resolve_due"] == new_due
    # The new window is 216 h; its warning falls at 80 % of it (172 h 48 min), its breach at 216 h.
    assert await _sweep_at(gw, clock, old_due + timedelta(hours=1)) == 0
    assert await _sweep_at(gw, clock, T0 + timedelta(hours=216 * 0.8) - timedelta(seconds=1)) == 0
    assert await _sweep_at(gw, clock, T0 + timedelta(hours=216 * 0.8)) == 1
    assert officer_calls[-1]["escalate"] is False and _local(new_due) in officer_calls[-1]["text"]
    assert await _sweep_at(gw, clock, new_due) == 1
    assert officer_calls[-1]["escalate"] is True
    assert await _sweep_at(gw, clock, new_due + timedelta(days=2)) == 0

    rows = await alerts(gw, t["id"])
    assert [(a["kind"], a["deadline"]) for a in rows] == [
        ("resolve_warning", old_due), ("resolve_breach", old_due),
        ("resolve_warning", new_due), ("resolve_breach", new_due)]
    assert len(officer_calls) == 4


async def test_extension_before_the_warning_moves_the_warning(make_gateway, clock, officer_calls):
    clock.set(T0)
    gw = await make_gateway()
    t = await report(gw)
    await move(gw, t["id"], "PROSES")
    clock.set(T0 + timedelta(hours=100))
    await extend(gw, t["id"], 72)  # 240 h in all: warn at 192 h
    assert await _sweep_at(gw, clock, T0 + timedelta(hours=168)) == 0  # the old deadline means nothing now
    assert await _sweep_at(gw, clock, T0 + timedelta(hours=192)) == 1
    assert [(a["kind"], a["deadline"]) for a in await alerts(gw, t["id"])] == [
        ("resolve_warning", T0 + timedelta(hours=240))]


async def test_validation_pauses_the_clock(make_gateway, clock, officer_calls):
    clock.set(T0)
    gw = await make_gateway()
    t = await report(gw)
    clock.set(T0 + timedelta(hours=1))
    await move(gw, t["id"], "PROSES")

    clock.set(T0 + timedelta(hours=100))
    t = await move(gw, t["id"], "MENUNGGU_VALIDASI")
    assert t["paused_at"] == T0 + timedelta(hours=100)
    # While the validators hold it, nothing runs against the agency: no warning, no breach.
    assert await _sweep_at(gw, clock, T0 + timedelta(hours=140)) == 0
    assert await _sweep_at(gw, clock, T0 + timedelta(hours=149)) == 0

    # Rejected after 50 h of validation: the deadline moves 50 h later.
    clock.set(T0 + timedelta(hours=150))
    t = await move(gw, t["id"], "TL_DITOLAK", reason="foto tidak sesuai lokasi")
    assert t["paused_at"] is None and t["paused_hours"] == 50
    assert t["resolve_due"] == T0 + timedelta(hours=218)
    # 168 h of agency time in all: the warning comes when 33.6 h of it are left.
    warn_at = T0 + timedelta(hours=218 - 168 * 0.2)
    assert await _sweep_at(gw, clock, warn_at - timedelta(seconds=1)) == 0
    assert await _sweep_at(gw, clock, warn_at) == 1
    assert officer_calls[-1]["escalate"] is False

    clock.set(T0 + timedelta(hours=190))
    await move(gw, t["id"], "PROSES")
    clock.set(T0 + timedelta(hours=200))
    await move(gw, t["id"], "MENUNGGU_VALIDASI")
    assert await _sweep_at(gw, clock, T0 + timedelta(hours=225)) == 0  # past 218 h, but paused
    clock.set(T0 + timedelta(hours=230))
    t = await move(gw, t["id"], "SELESAI")
    # Validated after 30 h: proof came in at 200 h, before the 218 h deadline, so it is within the SLA.
    assert t["resolve_due"] == T0 + timedelta(hours=248) and t["paused_hours"] == 80
    assert t["resolved_at"] <= t["resolve_due"]
    assert [(a["kind"], a["deadline"]) for a in await alerts(gw, t["id"])] == [
        ("resolve_warning", T0 + timedelta(hours=218))]


async def test_reopen_starts_a_fresh_resolve_window(make_gateway, clock, officer_calls):
    clock.set(T0)
    gw = await make_gateway()
    t = await report(gw)
    for hours, status in ((1, "PROSES"), (20, "MENUNGGU_VALIDASI"), (30, "SELESAI")):
        clock.set(T0 + timedelta(hours=hours))
        t = await move(gw, t["id"], status)
    clock.set(T0 + timedelta(hours=40))
    t = await move(gw, t["id"], "PROSES", reopen=True)
    assert t["reopen_count"] == 1 and t["resolved_at"] is None
    assert t["resolve_started_at"] == T0 + timedelta(hours=40)
    assert t["resolve_due"] == T0 + timedelta(hours=40 + 168)
    assert t["paused_hours"] == 0
    assert await _sweep_at(gw, clock, T0 + timedelta(hours=40 + 134)) == 0
    assert await _sweep_at(gw, clock, T0 + timedelta(hours=40 + 134.4)) == 1
    assert [(a["kind"], a["deadline"]) for a in await alerts(gw, t["id"])] == [
        ("resolve_warning", T0 + timedelta(hours=208))]


async def test_working_hours_clock(make_gateway, clock, officer_calls):
    gw = await make_gateway(clock="working_hours", holidays=["2026-03-16"], resolve_hours=56)
    # Filed Friday 15:00 WIB: 6 working hours is Monday 13:00 WIB.
    clock.set(datetime(2026, 3, 6, 15, 0, tzinfo=WIB))
    t = await report(gw)
    assert t["coordinate_due"] == datetime(2026, 3, 9, 13, 0, tzinfo=WIB)
    assert t["coordinate_due"].tzinfo == timezone.utc and t["coordinate_due"].hour == 6  # stored in UTC
    # 56 working hours: Fri 1 h, 6 whole days (Mon 9 to Fri 13, Tue 17; Mon 16 is a holiday), 7 h on Wed 18.
    assert t["resolve_due"] == datetime(2026, 3, 18, 15, 0, tzinfo=WIB)

    # The weekend does not count: no warning on Saturday or Sunday.
    assert await _sweep_at(gw, clock, datetime(2026, 3, 8, 23, 0, tzinfo=WIB)) == 0
    # 80 % of 6 working hours (4.8 h): 1 h on Friday + 3.8 h on Monday = 11:48.
    assert await _sweep_at(gw, clock, datetime(2026, 3, 9, 11, 47, tzinfo=WIB)) == 0
    assert await _sweep_at(gw, clock, datetime(2026, 3, 9, 11, 48, tzinfo=WIB)) == 1
    assert "2026-03-09 13:00 WIB" in officer_calls[-1]["text"]
    assert await _sweep_at(gw, clock, datetime(2026, 3, 9, 13, 0, tzinfo=WIB)) == 1
    assert officer_calls[-1]["escalate"] is True

    # A ticket filed before the holiday Monday is due on Tuesday.
    clock.set(datetime(2026, 3, 9, 14, 0, tzinfo=WIB))
    await move(gw, t["id"], "DITOLAK", reason="bukan kewenangan Pemprov")
    clock.set(datetime(2026, 3, 13, 15, 0, tzinfo=WIB))
    t2 = await report(gw, sender="+6281100000009")
    assert t2["coordinate_due"] == datetime(2026, 3, 17, 13, 0, tzinfo=WIB)
    assert await _sweep_at(gw, clock, datetime(2026, 3, 16, 15, 59, tzinfo=WIB)) == 0  # holiday: clock stopped
    assert await _sweep_at(gw, clock, datetime(2026, 3, 17, 11, 48, tzinfo=WIB)) == 1


async def test_working_hours_pause_is_credited_in_working_hours(make_gateway, clock):
    gw = await make_gateway(clock="working_hours", holidays=[], resolve_hours=56)
    clock.set(datetime(2026, 3, 2, 8, 0, tzinfo=WIB))  # Monday
    t = await report(gw)
    assert t["resolve_due"] == datetime(2026, 3, 10, 16, 0, tzinfo=WIB)
    await move(gw, t["id"], "PROSES")
    clock.set(datetime(2026, 3, 6, 15, 0, tzinfo=WIB))  # Friday 15:00
    await move(gw, t["id"], "MENUNGGU_VALIDASI")
    clock.set(datetime(2026, 3, 9, 10, 0, tzinfo=WIB))  # Monday 10:00: 1 + 2 working hours later
    t = await move(gw, t["id"], "TL_DITOLAK", reason="bukti kurang")
    assert t["paused_hours"] == 3
    assert t["resolve_due"] == datetime(2026, 3, 11, 11, 0, tzinfo=WIB)
