"""The SLA clocks in isolation: working hours, weekends, holidays, and their inverse."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.config import SlaConfig
from bot.sla import SlaRules
from bot.workcal import CalendarClock, WorkingHoursClock, clock_from_config

WIB = ZoneInfo("Asia/Jakarta")


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


@pytest.fixture
def office() -> WorkingHoursClock:
    # 2026-03-16 is a Monday, declared a holiday here.
    return WorkingHoursClock("Asia/Jakarta", "08:00", "16:00", [0, 1, 2, 3, 4], ["2026-03-16"])


def test_friday_afternoon_plus_six_working_hours_is_monday_1300(office):
    due = office.add(wib(2026, 3, 6, 15, 0), 6)  # Friday 15:00 WIB
    assert due == wib(2026, 3, 9, 13, 0)  # Monday 13:00 WIB
    assert due.tzinfo == timezone.utc and due == datetime(2026, 3, 9, 6, 0, tzinfo=timezone.utc)
    assert office.elapsed(wib(2026, 3, 6, 15, 0), due) == 6


def test_a_holiday_is_skipped(office):
    # Friday 15:00 before the Monday holiday: 1 h Friday, Monday skipped, 5 h Tuesday.
    assert office.add(wib(2026, 3, 13, 15, 0), 6) == wib(2026, 3, 17, 13, 0)
    assert office.elapsed(wib(2026, 3, 13, 15, 0), wib(2026, 3, 17, 13, 0)) == 6
    assert office.elapsed(wib(2026, 3, 16, 9, 0), wib(2026, 3, 16, 15, 0)) == 0


@pytest.mark.parametrize("start,hours,due", [
    (wib(2026, 3, 6, 15, 0), 1, wib(2026, 3, 6, 16, 0)),  # ends exactly at closing: that day
    (wib(2026, 3, 6, 16, 0), 1, wib(2026, 3, 9, 9, 0)),  # after closing: next working morning
    (wib(2026, 3, 7, 10, 0), 0.5, wib(2026, 3, 9, 8, 30)),  # filed on Saturday
    (wib(2026, 3, 9, 6, 0), 8, wib(2026, 3, 9, 16, 0)),  # before opening: the whole day
    (wib(2026, 3, 9, 8, 0), 40, wib(2026, 3, 13, 16, 0)),  # a working week
    (wib(2026, 3, 9, 8, 0), 41, wib(2026, 3, 17, 9, 0)),  # ... and an hour past the holiday Monday
    (wib(2026, 3, 7, 10, 0), 0, wib(2026, 3, 7, 10, 0)),  # zero hours never moves a time earlier
])
def test_add_edges(office, start, hours, due):
    assert office.add(start, hours) == due


def _brute_add(clock: WorkingHoursClock, start: datetime, minutes: int) -> datetime:
    """Walk minute by minute: the obviously-correct (slow) definition."""
    cur = start
    while minutes > 0:
        local = cur.astimezone(WIB)
        if clock.is_working_day(local.date()) and 8 * 60 <= local.hour * 60 + local.minute < 16 * 60:
            minutes -= 1
        cur += timedelta(minutes=1)
    return cur


def test_add_and_elapsed_agree_with_a_minute_by_minute_walk(office):
    rnd = random.Random(20260306)
    for _ in range(150):
        start = wib(2026, 3, 1) + timedelta(minutes=rnd.randrange(0, 60 * 24 * 28))
        minutes = rnd.choice([1, 30, 60, 6 * 60, 8 * 60, 9 * 60 + 15, 40 * 60, 56 * 60])
        due = office.add(start, minutes / 60)
        walked = _brute_add(office, start, minutes)
        # Same instant, or both inside the same non-working gap (e.g. 16:00 vs next 08:00).
        assert due == walked or office.elapsed(due, walked) == 0, (start, minutes)
        assert due <= walked
        assert office.elapsed(start, due) == pytest.approx(minutes / 60)


def test_elapsed_is_signed_and_additive(office):
    a, b, c = wib(2026, 3, 5, 10, 0), wib(2026, 3, 9, 11, 0), wib(2026, 3, 18, 12, 0)
    assert office.elapsed(a, b) == 6 + 8 + 3  # Thu 10-16, Fri, Mon 8-11
    assert office.elapsed(b, a) == -office.elapsed(a, b)
    assert office.elapsed(a, c) == pytest.approx(office.elapsed(a, b) + office.elapsed(b, c))


def test_weekend_working_days_and_validation():
    sat_shift = WorkingHoursClock("Asia/Jakarta", "09:00", "12:00", [5], [])
    assert sat_shift.add(wib(2026, 3, 6, 15, 0), 4) == wib(2026, 3, 14, 10, 0)
    with pytest.raises(ValueError, match="end must be later"):
        WorkingHoursClock("Asia/Jakarta", "16:00", "08:00", [0], [])
    with pytest.raises(ValueError, match="days"):
        WorkingHoursClock("Asia/Jakarta", "08:00", "16:00", [], [])
    with pytest.raises(ValueError, match="holidays"):
        WorkingHoursClock("Asia/Jakarta", "08:00", "16:00", [0], ["2026-02-30"])


def test_calendar_clock_and_config():
    cal = clock_from_config(SlaConfig(), "Asia/Jakarta")
    assert isinstance(cal, CalendarClock)
    start = wib(2026, 3, 6, 15, 0)
    assert cal.add(start, 6) == wib(2026, 3, 6, 21, 0)
    assert cal.elapsed(start, wib(2026, 3, 13, 15, 0)) == 168
    wh = clock_from_config(SlaConfig(clock="working_hours", holiday_country=None, holidays=["2026-03-16"]),
                           "Asia/Jakarta")
    assert isinstance(wh, WorkingHoursClock) and wh.holidays == {date(2026, 3, 16)}
    with pytest.raises(ValueError, match="holidays"):
        clock_from_config(SlaConfig(holidays=["16/03/2026"]), "Asia/Jakarta")


def test_rules_pause_credit_on_the_working_hours_clock():
    rules = SlaRules(SlaConfig(clock="working_hours"), "Asia/Jakarta", {})
    due = wib(2026, 3, 12, 12, 0)
    ticket = {"status": "MENUNGGU_VALIDASI", "paused_at": wib(2026, 3, 6, 15, 0), "resolve_due": due,
              "paused_hours": 1.5, "category_code": "sampah"}
    # Paused Friday 15:00 to Monday 09:00: 2 working hours, so the deadline moves 2 working hours.
    changes = rules.on_transition(wib(2026, 3, 9, 9, 0), ticket, "TL_DITOLAK")
    assert changes == {"paused_at": None, "resolve_due": wib(2026, 3, 12, 14, 0), "paused_hours": 3.5}
    # A proof that came in after the deadline credits nothing: the breach had happened.
    late = dict(ticket, paused_at=wib(2026, 3, 12, 13, 0))
    assert rules.on_transition(wib(2026, 3, 13, 9, 0), late, "SELESAI") == {"paused_at": None}
