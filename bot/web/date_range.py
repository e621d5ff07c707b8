"""The dashboards' date range (``?dari=YYYY-MM-DD&sampai=YYYY-MM-DD``): parsed and checked here, so a
bad value is a 400 with its reason and the figures are only ever asked for a sane range."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

MAX_RANGE_DAYS = 3 * 366  # three years: a month row per month, day rows only at the edges
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # date.fromisoformat alone also takes 20260131 and week dates


@dataclass(frozen=True)
class DateRange:
    first: date  # local days, both inclusive
    last: date


class BadRange(ValueError):
    """``key`` names the message (bot/web/messages.yaml) that says what is wrong."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key, self.params = key, params


def _day(text: str) -> date:
    if not _ISO_DAY.fullmatch(text):
        raise BadRange("dash_range_bad_date")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRange("dash_range_bad_date") from None


def parse_range(dari: str, sampai: str, today: date) -> DateRange | None:
    """None for all time (neither given); ``sampai`` defaults to today."""
    dari, sampai = dari.strip(), sampai.strip()
    if not dari and not sampai:
        return None
    if not dari:
        raise BadRange("dash_range_need_start")
    first = _day(dari)
    last = _day(sampai) if sampai else today
    if last < first:
        raise BadRange("dash_range_reversed")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise BadRange("dash_range_too_long", n=MAX_RANGE_DAYS)
    return DateRange(first, last)
