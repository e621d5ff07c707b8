"""The SLA clock (Pergub 128/2017: coordinate within 6 hours, resolve within 7 days).

Every ticket carries two absolute deadlines, stored in UTC:

* ``coordinate_due``: the kelurahan must coordinate (move the ticket out of
  MENUNGGU) by then;
* ``resolve_due``: the agency must submit proof of the follow-up by then.

They are computed from ``sla.coordinate_hours``/``sla.resolve_hours`` (or the
category's overrides) on the configured clock (``bot.workcal``: calendar time,
or working hours with holidays skipped, in the instance's time zone) and moved
later by:

* ``perpanjang`` (staff extension): adds hours to ``resolve_due`` directly;
* validation time: the clock pauses while a ticket is MENUNGGU_VALIDASI
  (``paused_at``); when it leaves that status the resolve deadline moves later
  by the paused span in clock terms (``paused_hours`` accumulates what was
  credited). A pause that starts after the deadline has already passed
  credits nothing: the breach had already happened;
* a citizen's reopen: a fresh resolve window starts at the reopen
  (``resolve_started_at``).

Warnings fire when ``warn_at_fraction`` of the window has gone, measured on
the same clock: the window is ``elapsed(start, due) - paused_hours``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Container, Mapping

from adapters.contract.rows import RowLike
from bot.config import AppConfig, CategoryConfig, SlaConfig
from bot.lifecycle import OPEN_STATUSES, Status
from bot.workcal import CalendarClock, SlaClock, clock_from_config

COORDINATE_WARNING = "coordinate_warning"
COORDINATE_BREACH = "coordinate_breach"
RESOLVE_WARNING = "resolve_warning"
RESOLVE_BREACH = "resolve_breach"
ALERT_KINDS = (COORDINATE_WARNING, COORDINATE_BREACH, RESOLVE_WARNING, RESOLVE_BREACH)
_EPSILON_HOURS = 1e-6  # (1 - 0.8) * 168 is 33.599999999999994 in floating point: warn at 80 %, not after


@dataclass(frozen=True)
class Deadlines:
    coordinate_due: datetime
    resolve_due: datetime


def deadlines(start: datetime, coordinate_hours: float, resolve_hours: float,
              clock: SlaClock | None = None) -> Deadlines:
    """Deadlines from ``start`` on ``clock`` (calendar time when not given)."""
    clock = clock or CalendarClock()
    return Deadlines(clock.add(start, coordinate_hours), clock.add(start, resolve_hours))


@dataclass(frozen=True)
class Alert:
    kind: str  # one of ALERT_KINDS
    deadline: datetime
    remaining_hours: float  # clock hours left (negative: overdue)


class SlaRules:
    """Deadline rules of one configuration: the clock, defaults and per-category overrides."""

    def __init__(self, sla: SlaConfig, timezone: str, categories: Mapping[str, CategoryConfig]) -> None:
        self.config = sla
        self.timezone = timezone
        self.clock: SlaClock = clock_from_config(sla, timezone)
        self.categories = dict(categories)
        self.warn_at_fraction = sla.warn_at_fraction

    @classmethod
    def from_config(cls, config: AppConfig) -> "SlaRules":
        return cls(config.sla, config.instance.timezone, {c.code: c for c in config.categories})

    @classmethod
    def default(cls) -> "SlaRules":
        """Calendar time with the default deadlines (for policies built without a config)."""
        return cls(SlaConfig(), "Asia/Jakarta", {})

    # --- deadlines -----------------------------------------------------------

    def hours_for(self, category: CategoryConfig | str | None) -> tuple[float, float]:
        cat = self.categories.get(category) if isinstance(category, str) else category
        return ((cat.coordinate_hours if cat else None) or self.config.coordinate_hours,
                (cat.resolve_hours if cat else None) or self.config.resolve_hours)

    def new_ticket(self, now: datetime, category: CategoryConfig | str | None) -> Deadlines:
        coordinate, resolve = self.hours_for(category)
        return deadlines(now, coordinate, resolve, self.clock)

    def on_transition(self, now: datetime, ticket: RowLike, to_status: str, *,
                      reopen: bool = False) -> dict[str, Any]:
        """Ticket columns to change when ``ticket`` moves to ``to_status``."""
        src, dst = ticket["status"], str(to_status)
        if reopen:
            _, resolve = self.hours_for(ticket.get("category_code"))
            return dict(resolve_started_at=now, resolve_due=self.clock.add(now, resolve),
                        paused_hours=0.0, paused_at=None)
        if dst == Status.MENUNGGU_VALIDASI and src != Status.MENUNGGU_VALIDASI:
            return dict(paused_at=now)
        if src == Status.MENUNGGU_VALIDASI and dst != Status.MENUNGGU_VALIDASI:
            paused_at = ticket.get("paused_at")
            if paused_at is None:
                return {}
            due = ticket["resolve_due"]
            if paused_at >= due:
                return dict(paused_at=None)  # already late when the proof came in
            span = max(0.0, self.clock.elapsed(paused_at, now))
            return dict(paused_at=None, resolve_due=self.clock.add(due, span),
                        paused_hours=(ticket.get("paused_hours") or 0.0) + span)
        return {}

    # --- alerts --------------------------------------------------------------

    def due_alerts(self, ticket: RowLike, now: datetime, sent: Container[str] = ()) -> list[Alert]:
        """Warnings and breaches due for ``ticket`` at ``now``, leaving out the kinds in ``sent``.

        Coordination while MENUNGGU; resolution while open and not paused in
        MENUNGGU_VALIDASI. A breach implies its warning: when both are due the
        warning comes first in the list (the sweep records it as superseded
        rather than sending both at once).
        """
        status = ticket["status"]
        if status not in OPEN_STATUSES:
            return []
        out: list[Alert] = []
        if status == Status.MENUNGGU:
            out += self._due(COORDINATE_WARNING, COORDINATE_BREACH, ticket["coordinate_due"],
                             ticket["created_at"], 0.0, now, sent)
        if status != Status.MENUNGGU_VALIDASI:
            out += self._due(RESOLVE_WARNING, RESOLVE_BREACH, ticket["resolve_due"],
                             ticket.get("resolve_started_at") or ticket["created_at"],
                             ticket.get("paused_hours") or 0.0, now, sent)
        return out

    def _due(self, warning: str, breach: str, due: datetime, start: datetime, paused: float, now: datetime,
             sent: Container[str]) -> list[Alert]:
        if breach in sent:
            return []
        if now >= due:
            left = self.clock.elapsed(now, due)
            return [Alert(k, due, left) for k in (warning, breach) if k not in sent]
        if warning in sent:
            return []
        left = self.clock.elapsed(now, due)
        window = max(0.0, self.clock.elapsed(start, due) - paused)
        if left <= (1 - self.warn_at_fraction) * window + _EPSILON_HOURS:
            return [Alert(warning, due, left)]
        return []

    # --- display -------------------------------------------------------------

    def local(self, t: datetime) -> str:
        from zoneinfo import ZoneInfo

        lt = t.astimezone(ZoneInfo(self.timezone))
        return lt.strftime("%Y-%m-%d %H:%M ") + (lt.tzname() or "")
