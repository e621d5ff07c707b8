"""The SLA sweep: warn before a deadline, escalate on a breach, each exactly once.

Run by ``scheduler.jobs.sla_sweep`` every ``sla.sweep_interval_seconds``.

The queries are ``store.sla``'s.

1. A read transaction finds at most ``sla.sweep_max_tickets`` open tickets whose coordinate or resolve
   deadline passed at or after the horizon (now - ``sla.sweep_horizon_hours``) with the breach not yet
   recorded, and as many whose deadline is still ahead with the warning not yet recorded, earliest deadline first: LIMITed range reads of indexes leading with each deadline
   (migration 0007), so the work per sweep is bounded however long the history. (Warnings are read in
   deadline order, not warning-time order: with more open tickets ahead of their deadline than the limit, a
   long-window (or extended) ticket's warning waits behind nearer deadlines; keep the limit above them.) Deadlines older than the
   horizon (an imported history, a long outage) are never alerted one by one. For those tickets, four EXISTS
   probes on the UNIQUE (ticket_id, kind, deadline) index of ``sla_alert`` tell which alerts are recorded.
   Nothing due, no write transaction: the sweep never holds SQLite's write lock for nothing.
2. One write transaction re-reads those tickets and, per alert, ``INSERT ... ON CONFLICT DO NOTHING``; the
   officer message is queued only when the insert happened, in the same transaction. Two gateway processes
   sweeping one PostgreSQL database, or a restarted one, therefore never send an alert twice: the loser of a
   race waits on the unique index and inserts nothing. Tickets and kinds are handled in one fixed order, so
   concurrent sweeps take those index locks in the same order and cannot deadlock.
3. Officers are never flooded: a sweep posts at most ``sla.alerts_per_sweep`` alerts, and
   ``sla.alerts_per_agency_per_sweep`` per agency; the alerts beyond are recorded all the same and
   summarised in one digest post per agency (template ``sla_digest``), which their rows point at.

Keys include the deadline: an extended (``perpanjang``) or pause-adjusted
``resolve_due`` is a new deadline and gets its own warning and escalation;
the old ones are never repeated.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Sequence

from sqlalchemy import Connection

from adapters.contract.rows import RowLike
from bot import metrics
from bot.events import SlaAlertRaised
from bot.sla import (
    ALERT_KINDS,
    COORDINATE_BREACH,
    COORDINATE_WARNING,
    RESOLVE_BREACH,
    RESOLVE_WARNING,
    Alert,
    SlaRules,
)
from bot.templates import TemplateError
from store import sla as sla_store
from store.sla import T_ALERT  # noqa: F401 - re-exported (tests read the recorded alerts)

if TYPE_CHECKING:
    from scheduler.jobs import SweepHost

log = logging.getLogger(__name__)

DIGEST_EXAMPLES = 5  # tracking IDs named in a digest post

_TEMPLATE = {COORDINATE_WARNING: "sla_coordinate_warning", COORDINATE_BREACH: "sla_coordinate_breach",
             RESOLVE_WARNING: "sla_resolve_warning", RESOLVE_BREACH: "sla_resolve_breach"}
# Used only if a deployment's config lacks the templates (config.yaml ships them).
_FALLBACK_TEXT = {
    COORDINATE_WARNING: "SLA warning: report {tracking_id} ({category}, {area}) must be coordinated by {deadline} "
                        "({hours} h left). {url}",
    COORDINATE_BREACH: "SLA ESCALATION: report {tracking_id} ({category}, {area}, {agency}) missed its "
                       "coordination deadline {deadline}. {url}",
    RESOLVE_WARNING: "SLA warning: report {tracking_id} ({category}, {area}) must be resolved by {deadline} "
                     "({hours} h left). Status: {status}. {url}",
    RESOLVE_BREACH: "SLA ESCALATION: report {tracking_id} ({category}, {area}, {agency}) missed its "
                    "resolution deadline {deadline}. Status: {status}. {url}",
}
_FALLBACK_DIGEST = ("SLA digest {agency}: {count} more alerts not posted one by one ({breaches} past their deadline, "
                    "{warnings} close to it). Among them: {examples}.")


def _due(rules: SlaRules, row: RowLike, now: datetime) -> list[Alert]:
    sent = {k for k in ALERT_KINDS if row[k]}
    return rules.due_alerts(row, now, sent)


def find_due(conn: Connection, rules: SlaRules, now: datetime, horizon_start: datetime | None = None,
             limit: int | None = None) -> list[int]:
    """Ids of tickets with an alert due and not recorded, in id order.

    With ``horizon_start`` and ``limit`` (the sweep): only tickets of the deadline window
    (``store.sla.due_window``: at most ``limit`` for breaches and ``limit`` for warnings), and only alerts whose
    deadline is at or after ``horizon_start``.
    """
    if horizon_start is None or limit is None:
        return [row["id"] for row in sla_store.candidates(conn) if _due(rules, row, now)]
    window = sla_store.due_window(conn, horizon_start, now, limit)
    if not window:
        return []
    return [row["id"] for row in sla_store.candidates(conn, window) if _in_horizon(_due(rules, row, now), horizon_start)]


def _in_horizon(alerts: list[Alert], horizon_start: datetime) -> list[Alert]:
    return [a for a in alerts if a.deadline >= horizon_start]


@dataclass
class _Budget:
    """Officer alerts one sweep may still post, in all and per agency; the alerts beyond wait for the digest."""

    total: int
    per_agency: int
    posted: Counter[str] = field(default_factory=Counter)
    held: dict[str, list[tuple[int, RowLike, Alert]]] = field(default_factory=dict)

    def take(self, agency: str) -> bool:
        if self.total <= 0 or self.posted[agency] >= self.per_agency:
            return False
        self.total -= 1
        self.posted[agency] += 1
        return True

    def hold(self, agency: str, alert_id: int, row: RowLike, alert: Alert) -> None:
        self.held.setdefault(agency, []).append((alert_id, row, alert))


class SlaSweep:
    """The SLA hook of one gateway (``Gateway.sla_hooks``)."""

    def __init__(self, gw: "SweepHost") -> None:
        self.rules = gw.policy.sla  # the same clock transitions pause and reopen on
        self.templates = gw.templates
        self.policy = gw.policy
        self.language = gw.config.instance.default_language
        self.agencies = {a.code: a for a in gw.config.agencies}
        self.resolver = gw.resolver
        self.categories = {c.code: c for c in gw.config.categories}
        self.settings = gw.config.sla

    async def __call__(self, gw: "SweepHost") -> int:
        return await self.sweep(gw, gw.clock.now())

    async def sweep(self, gw: "SweepHost", now: datetime) -> int:
        """One bounded pass (``sla.sweep_max_tickets`` tickets at most, one write transaction); returns how many
        officer messages (alerts and digests) were queued."""
        horizon_start = now - timedelta(hours=self.settings.sweep_horizon_hours)
        due = await gw.db.read(find_due, self.rules, now, horizon_start, self.settings.sweep_max_tickets)
        if not due:
            return 0  # nothing due: no write transaction
        queued = await gw.db.write(self.record, now, due, horizon_start)
        if queued:
            log.info("SLA sweep queued %d officer alerts", queued)
            gw.dispatcher.wake()
        return queued

    # --- in the write transaction ----------------------------------------------

    def record(self, conn: Connection, now: datetime, ticket_ids: Sequence[int],
               horizon_start: datetime | None = None) -> int:
        budget = _Budget(self.settings.alerts_per_sweep, self.settings.alerts_per_agency_per_sweep)
        queued = 0
        for row in sla_store.candidates(conn, ticket_ids):
            alerts = _due(self.rules, row, now)
            if horizon_start is not None:
                alerts = _in_horizon(alerts, horizon_start)
            breaches = {a.kind for a in alerts if a.kind in (COORDINATE_BREACH, RESOLVE_BREACH)}
            for alert in alerts:
                superseded = (alert.kind == COORDINATE_WARNING and COORDINATE_BREACH in breaches) or \
                    (alert.kind == RESOLVE_WARNING and RESOLVE_BREACH in breaches)
                alert_id = sla_store.record_alert(conn, row["id"], alert.kind, alert.deadline, now, superseded)
                if alert_id is None or superseded:
                    continue  # another sweep recorded it first, or the breach speaks for it
                metrics.sla_alert(alert.kind)
                agency = row["agency_code"] or "-"
                if not budget.take(agency):
                    budget.hold(agency, alert_id, row, alert)
                    continue
                message_id = self.queue(conn, now, row, alert)
                if message_id is not None:
                    queued += 1
                    sla_store.set_alert_message(conn, alert_id, message_id)
        for agency, held in budget.held.items():
            queued += self.digest(conn, now, agency, held)
        return queued

    def digest(self, conn: Connection, now: datetime, agency: str, held: list[tuple[int, RowLike, Alert]]) -> int:
        """One post summarising ``held`` alerts of one agency (on its first ticket's desk); 1 if queued."""
        breaches = sum(1 for _, _, a in held if a.kind in (COORDINATE_BREACH, RESOLVE_BREACH))
        fields = dict(agency=agency, count=len(held), breaches=breaches, warnings=len(held) - breaches,
                      examples=", ".join(dict.fromkeys(row["tracking_id"] for _, row, _ in held[:DIGEST_EXAMPLES])))
        try:
            text = self.templates.render("sla_digest", self.language, **fields)
        except TemplateError:
            text = _FALLBACK_DIGEST.format(**fields)
        first = held[0][1]
        queued = self.policy.events.publish(conn, now, SlaAlertRaised(first["id"], "sla_digest", text, True))
        if not queued or queued[0] is None:
            return 0
        sla_store.set_digest_message(conn, [alert_id for alert_id, _, _ in held], queued[0])
        return 1

    def text(self, row: RowLike, alert: Alert) -> str:
        lang = self.language
        cat = self.categories.get(row["category_code"])
        area = self.resolver.get(row["area_code"]) if row["area_code"] else None
        agency = self.agencies.get(row["agency_code"]) if row["agency_code"] else None
        hours = abs(alert.remaining_hours)
        fields = dict(
            tracking_id=row["tracking_id"],
            category=(cat.name_en if lang == "en" else cat.name_id) if cat else row["category_code"],
            area=area.name if area else "-",
            agency=agency.code if agency else (row["agency_code"] or "-"),
            deadline=self.rules.local(alert.deadline),
            hours=f"{hours:.1f}",
            status=self.templates.status_label(row["status"], lang),
            url=self.policy.tracking_url(row["tracking_id"]),
        )
        try:
            return self.templates.render(_TEMPLATE[alert.kind], lang, **fields)
        except TemplateError:
            return _FALLBACK_TEXT[alert.kind].format(**fields)

    def queue(self, conn: Connection, now: datetime, row: RowLike, alert: Alert) -> int | None:
        """Publish the alert; the officer desks subscribed at the composition root queue it (first one wins)."""
        escalate = alert.kind in (COORDINATE_BREACH, RESOLVE_BREACH)
        event = SlaAlertRaised(row["id"], "sla_breach" if escalate else "sla_warning", self.text(row, alert), escalate)
        queued = self.policy.events.publish(conn, now, event)
        return queued[0] if queued else None


def sla_hook(gw: "SweepHost") -> SlaSweep:
    """The hook ``Gateway`` appends to ``sla_hooks``."""
    return SlaSweep(gw)
