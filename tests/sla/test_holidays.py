"""Indonesian holidays from the `holidays` package, with cuti bersama and added/removed days from config."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.config import SlaConfig
from bot.holiday_calendar import holiday_dates
from bot.workcal import clock_from_config

WIB = ZoneInfo("Asia/Jakarta")


def _sla(**kw) -> SlaConfig:
    return SlaConfig(clock="working_hours", **kw)


def test_years_after_2026_have_holidays_too() -> None:
    days = holiday_dates(_sla())
    assert date(2027, 1, 1) in days and date(2027, 8, 17) in days and date(2030, 12, 25) in days
    # The same 2026 national holidays the hand-kept list had.
    assert [d for d in days if d.year == 2026][:3] == [date(2026, 1, 1), date(2026, 1, 16), date(2026, 2, 17)]


def test_working_hours_clock_skips_new_year_2027() -> None:
    clock = clock_from_config(_sla(), "Asia/Jakarta")
    # Thursday 31 Dec 2026, 15:00 WIB + 2 working hours: Friday 1 Jan is a holiday, so Monday 4 Jan 09:00.
    start = datetime(2026, 12, 31, 15, 0, tzinfo=WIB)
    assert clock.add(start, 2) == datetime(2027, 1, 4, 9, 0, tzinfo=WIB).astimezone(timezone.utc)


def test_cuti_bersama_added_and_removed_days() -> None:
    assert date(2026, 12, 24) not in holiday_dates(_sla())
    with_leave = holiday_dates(_sla(cuti_bersama=True))
    assert {date(2026, 12, 24), date(2026, 3, 23), date(2026, 5, 15)} <= set(with_leave)
    custom = holiday_dates(_sla(holidays=["2026-06-22"], holidays_removed=["2026-05-01"]))
    assert date(2026, 6, 22) in custom and date(2026, 5, 1) not in custom
    assert holiday_dates(_sla(holiday_country=None, holidays=["2026-06-22"])) == [date(2026, 6, 22)]


def test_bad_settings_name_the_key() -> None:
    with pytest.raises(ValueError, match="sla.holidays_removed"):
        clock_from_config(SlaConfig(holidays_removed=["2026-13-01"]), "Asia/Jakarta")
    with pytest.raises(ValueError, match="sla.holiday_country"):
        clock_from_config(_sla(holiday_country="XX"), "Asia/Jakarta")
