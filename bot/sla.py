"""Deadline arithmetic for the SLA clock (coordinate within 6 h, resolve within 7 days)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Deadlines:
    coordinate_due: datetime
    resolve_due: datetime


def deadlines(start: datetime, coordinate_hours: float, resolve_hours: float) -> Deadlines:
    """Calendar-time deadlines from ``start``."""
    return Deadlines(start + timedelta(hours=coordinate_hours), start + timedelta(hours=resolve_hours))
