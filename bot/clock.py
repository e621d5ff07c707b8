"""An injectable clock: production uses wall time, tests move time by hand."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from adapters.contract.clock import Clock, SystemClock

__all__ = ["Clock", "FakeClock", "SystemClock"]


class FakeClock:
    """A clock tests advance explicitly; deadlines never depend on real time."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, **kwargs: float) -> datetime:
        self._now += timedelta(**kwargs)
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when
