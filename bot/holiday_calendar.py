"""Which dates the working-hours SLA clock skips: public holidays from the ``holidays`` package,
plus and minus the days the config names.

A list kept by hand in config.yaml covered one year and broke the clock on the next 1 January.
``holidays.ID`` computes Indonesia's national holidays (including the lunar ones, marked
"estimated" until the government confirms them) and, as its ``government`` category, the
cuti bersama days. Offices differ in whether they close on cuti bersama and regions add
their own days, so the config can include cuti bersama, add dates and remove dates.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Iterable

import holidays

# The clock bisects a sorted list, so a fixed generous span costs nothing per lookup;
# tickets older than 2015 or deadlines after 2050 fall back to weekends only.
YEARS = range(2015, 2051)


def parse_dates(values: Iterable[str | date], key: str) -> set[date]:
    """ISO dates (or dates) as a set; ValueError naming ``sla.<key>`` for the first bad one."""
    out = set()
    for v in values:
        try:
            out.add(v if isinstance(v, date) else date.fromisoformat(str(v)))
        except ValueError:
            raise ValueError(f"sla.{key}: {v!r} is not an ISO date (YYYY-MM-DD)") from None
    return out


@lru_cache(maxsize=8)
def _public(country: str, cuti_bersama: bool) -> frozenset[date]:
    categories = ("public", "government") if cuti_bersama else ("public",)
    try:
        found = holidays.country_holidays(country, years=YEARS, categories=categories)
    except NotImplementedError:
        raise ValueError(f"sla.holiday_country: {country!r} is not a country the holidays package knows") from None
    return frozenset(found)


def holiday_dates(sla: object) -> list[date]:
    """The sorted closed days for an ``SlaConfig``; raises ValueError naming the bad setting."""
    added = parse_dates(getattr(sla, "holidays", []), "holidays")
    removed = parse_dates(getattr(sla, "holidays_removed", []), "holidays_removed")
    country = getattr(sla, "holiday_country", None)
    public = _public(country, bool(getattr(sla, "cuti_bersama", False))) if country else frozenset()
    return sorted((public | added) - removed)
