"""SLA clocks: calendar time, or working hours with weekends and public holidays skipped.

Both clocks answer two questions about aware datetimes:

* ``add(start, hours)``: the instant ``hours`` of clock time after ``start``;
* ``elapsed(a, b)``: how many hours of clock time lie between ``a`` and ``b``.

The working-hours clock works in the instance's time zone (Asia/Jakarta by
default): a working day runs from ``start`` to ``end`` local time on the
configured weekdays (Monday=0), except on listed holidays. It is computed in
closed form, not by walking day by day: ``position(t)`` is the number of
working microseconds between a fixed origin and ``t`` (whole working days
before ``t``'s date, counted per week and minus holidays found by bisection,
plus the part of ``t``'s own working window already gone). ``add`` inverts
``position`` with a binary search over dates, so both operations are
O(log n) whatever the span: cheap enough for intake's hot path and for
checking thousands of open tickets on every sweep.

Results are returned in UTC. A deadline that lands exactly at the end of a
working day is that day's end (Friday 16:00), not the next day's start.
"""
from __future__ import annotations

import bisect
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Protocol
from zoneinfo import ZoneInfo

from bot.holiday_calendar import holiday_dates, parse_dates

_US_PER_HOUR = 3_600_000_000
_ORIGIN = date(2000, 1, 3)  # a Monday; any fixed date works, positions are relative
_ONE_US = timedelta(microseconds=1)


class SlaClock(Protocol):
    kind: str

    def add(self, start: datetime, hours: float) -> datetime: ...

    def elapsed(self, a: datetime, b: datetime) -> float: ...


def _utc(t: datetime) -> datetime:
    if t.utcoffset() is None:
        raise ValueError("SLA clock needs aware datetimes")
    return t.astimezone(timezone.utc)


class CalendarClock:
    """Wall-clock time: 6 hours are 6 hours, night or day."""

    kind = "calendar"

    def add(self, start: datetime, hours: float) -> datetime:
        return _utc(start) + timedelta(hours=hours)

    def elapsed(self, a: datetime, b: datetime) -> float:
        return (_utc(b) - _utc(a)).total_seconds() / 3600


def _parse_hhmm(value: str) -> time:
    hh, mm = value.split(":")
    return time(int(hh), int(mm))


class WorkingHoursClock:
    """Only working hours count: ``start``-``end`` local time on ``days``, holidays skipped."""

    kind = "working_hours"

    def __init__(self, tz: str | ZoneInfo, start: str | time, end: str | time, days: Iterable[int],
                 holidays: Iterable[str | date] = ()) -> None:
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self.start = start if isinstance(start, time) else _parse_hhmm(start)
        self.end = end if isinstance(end, time) else _parse_hhmm(end)
        self.days = frozenset(int(d) for d in days)
        if not self.days or not self.days <= set(range(7)):
            raise ValueError("sla.working_hours.days: give weekdays 0 (Monday) to 6 (Sunday), at least one")
        start_s = self.start.hour * 3600 + self.start.minute * 60
        end_s = self.end.hour * 3600 + self.end.minute * 60
        if end_s <= start_s or end_s > 24 * 3600:
            raise ValueError("sla.working_hours: end must be later than start on the same day")
        self._day_us = (end_s - start_s) * 1_000_000
        parsed = parse_dates(holidays, "holidays")
        self.holidays = frozenset(parsed)
        # Only holidays on working weekdays remove working time.
        self._holidays = sorted(d for d in parsed if d.weekday() in self.days)
        # Working weekdays among the first r days of a week that starts on Monday.
        self._partial = [sum(1 for w in range(r) if w in self.days) for r in range(8)]
        self._days_cache: dict[date, tuple[int, datetime | None, datetime | None]] = {}

    # --- days --------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        return d.weekday() in self.days and d not in self.holidays

    def _days_before(self, d: date) -> int:
        """Working days from the origin up to (not including) ``d``; monotone in ``d``."""
        weeks, rest = divmod((d - _ORIGIN).days, 7)
        return weeks * len(self.days) + self._partial[rest] - bisect.bisect_left(self._holidays, d)

    def _window(self, d: date) -> tuple[datetime, datetime]:
        return (datetime.combine(d, self.start, tzinfo=self.tz).astimezone(timezone.utc),
                datetime.combine(d, self.end, tzinfo=self.tz).astimezone(timezone.utc))

    # --- positions ---------------------------------------------------------

    def _day(self, d: date) -> tuple[int, datetime | None, datetime | None]:
        """(position at the start of ``d``, its working window in UTC or None); memoised."""
        info = self._days_cache.get(d)
        if info is None:
            window = self._window(d) if self.is_working_day(d) else (None, None)
            if len(self._days_cache) > 20_000:
                self._days_cache.clear()
            info = self._days_cache[d] = (self._days_before(d) * self._day_us, *window)
        return info

    def position(self, t: datetime) -> int:
        """Working microseconds between the origin and ``t``."""
        t = _utc(t)
        pos, w_start, w_end = self._day(t.astimezone(self.tz).date())
        if w_start is None or w_end is None or t <= w_start:  # no window that day: both are None
            return pos
        if t >= w_end:
            return pos + self._day_us
        return pos + (t - w_start) // _ONE_US

    def _nth_working_day(self, n: int) -> date:
        """The working day with exactly ``n`` working days before it."""
        def past(k: int) -> bool:  # is the n-th working day on or before origin + k?
            return self._days_before(_ORIGIN + timedelta(days=k + 1)) > n

        # Holidays only push the day later than a plain count of weeks says.
        est = (n // len(self.days)) * 7
        lo, hi = est - 14, est + 14 + 7 * (len(self._holidays) // len(self.days) + 1)
        while past(lo):
            lo -= hi - lo
        while not past(hi):
            hi += hi - lo
        while lo < hi:  # the smallest k with past(k)
            mid = (lo + hi) // 2
            if past(mid):
                hi = mid
            else:
                lo = mid + 1
        return _ORIGIN + timedelta(days=lo)

    def at_position(self, pos: int) -> datetime:
        n, rest = divmod(pos, self._day_us)
        if rest == 0:
            # Exactly n whole days: the end of the n-th working day.
            return self._window(self._nth_working_day(n - 1))[1]
        return self._window(self._nth_working_day(n))[0] + timedelta(microseconds=rest)

    # --- the clock ---------------------------------------------------------

    def add(self, start: datetime, hours: float) -> datetime:
        start = _utc(start)
        if hours <= 0:
            return start
        return max(start, self.at_position(self.position(start) + round(hours * _US_PER_HOUR)))

    def elapsed(self, a: datetime, b: datetime) -> float:
        return (self.position(b) - self.position(a)) / _US_PER_HOUR


def clock_from_config(sla: object, tz: str) -> SlaClock:
    """Build the clock ``sla.clock`` names (an ``SlaConfig``); raises ValueError on bad settings."""
    if getattr(sla, "clock") == "working_hours":
        wh = getattr(sla, "working_hours")
        return WorkingHoursClock(tz, wh.start, wh.end, wh.days, holiday_dates(sla))
    for key in ("holidays", "holidays_removed"):  # validate even when unused (cheap: no calendar built)
        parse_dates(getattr(sla, key, []), key)
    return CalendarClock()
