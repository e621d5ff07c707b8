"""How SLA messages reach officers: through the desks (``bot.alerts.OfficerAlerts``), or the outbox fallback."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from bot.outbox import enqueue
from tests.sla.conftest import alerts, messages, report, sweeper

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


class _FakeDesk:
    """An officer desk (``bot.alerts.OfficerAlerts``) recording what it is asked to post."""

    def __init__(self, calls: list[dict[str, Any]], returns_id: bool = True) -> None:
        self.calls = calls
        self.returns_id = returns_id

    def _queue(self, conn, now, ticket_id, text, *, escalate, kind):
        self.calls.append(dict(ticket_id=ticket_id, text=text, escalate=escalate, kind=kind, now=now))
        if not self.returns_id:
            return None  # e.g. the ticket has no Slack thread
        return enqueue(conn, now, channel="slack", recipient="C-THREAD" if not escalate else "C-SUPERVISORS",
                       text=text, kind=kind or "staff_event", ticket_id=ticket_id)

    def ticket_post(self, conn, now, ticket_id, text, *, kind=None):
        return self._queue(conn, now, ticket_id, text, escalate=False, kind=kind)

    def escalation(self, conn, now, ticket_id, text, *, kind=None):
        return self._queue(conn, now, ticket_id, text, escalate=True, kind=kind)


async def test_delegates_to_the_staff_side_in_the_same_transaction(make_gateway, clock, monkeypatch):
    calls: list[dict[str, Any]] = []
    clock.set(T0)
    gw = await make_gateway()
    gw.officer_alerts.desks[:] = [_FakeDesk(calls)]
    t = await report(gw)
    assert await sweeper(gw).sweep(gw, T0 + timedelta(hours=5)) == 1
    assert await sweeper(gw).sweep(gw, T0 + timedelta(hours=6)) == 1
    assert [(c["ticket_id"], c["escalate"], c["kind"]) for c in calls] == [
        (t["id"], False, "sla_warning"), (t["id"], True, "sla_breach")]
    rows = await alerts(gw, t["id"])
    msgs = await messages(gw, [a["message_id"] for a in rows])
    assert [msgs[a["message_id"]]["recipient"] for a in rows] == ["C-THREAD", "C-SUPERVISORS"]
    assert [msgs[a["message_id"]]["text"] for a in rows] == [c["text"] for c in calls]


async def test_no_thread_records_the_alert_without_a_message(make_gateway, clock, monkeypatch, caplog):
    calls: list[dict[str, Any]] = []
    clock.set(T0)
    gw = await make_gateway()
    gw.officer_alerts.desks[:] = [_FakeDesk(calls, returns_id=False)]
    t = await report(gw)
    assert await sweeper(gw).sweep(gw, T0 + timedelta(hours=5)) == 0
    assert "no Slack thread" in caplog.text
    assert [(a["kind"], a["message_id"]) for a in await alerts(gw, t["id"])] == [("coordinate_warning", None)]
    assert await sweeper(gw).sweep(gw, T0 + timedelta(hours=5, minutes=30)) == 0
    assert len(calls) == 1  # recorded once: not retried every sweep


async def test_falls_back_to_the_outbox_without_the_staff_side(make_gateway, clock, monkeypatch):
    clock.set(T0)
    gw = await make_gateway()
    gw.officer_alerts.desks.clear()  # no staff desk wired: the last-resort desk takes alerts
    t = await report(gw)
    assert await sweeper(gw).sweep(gw, T0 + timedelta(hours=5)) == 1
    assert await sweeper(gw).sweep(gw, T0 + timedelta(hours=6)) == 1
    rows = await alerts(gw, t["id"])
    msgs = await messages(gw, [a["message_id"] for a in rows])
    got = [tuple(msgs[a["message_id"]][k] for k in ("channel", "kind", "ticket_id", "status")) for a in rows]
    assert got == [("slack", "sla_warning", t["id"], "queued"),
                                       ("slack", "sla_breach", t["id"], "queued")]
    # DLH has no slack_channel in config.yaml: both go to "staff"; an agency channel takes warnings.
    assert [msgs[a["message_id"]]["recipient"] for a in rows] == ["staff", "staff"]


async def test_without_a_slack_thread_the_telegram_staff_group_hears_it(make_gateway, clock, tmp_path, database_url):
    """Slack off: warnings and escalations go to the configured Telegram staff group, once each."""
    from tests.conftest import make_config

    clock.set(T0)
    cfg = make_config(tmp_path, database_url,
                      channels={"telegram": {"enabled": True, "bot_token": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi",
                                             "staff_chat_id": -1001234567890}})
    gw = await make_gateway(cfg)
    t = await report(gw)
    assert await sweeper(gw).sweep(gw, T0 + timedelta(hours=5)) == 1
    assert await sweeper(gw).sweep(gw, T0 + timedelta(hours=5, minutes=30)) == 0  # not repeated
    assert await sweeper(gw).sweep(gw, T0 + timedelta(hours=6, minutes=1)) == 1
    rows = await alerts(gw, t["id"])
    msgs = await messages(gw, [a["message_id"] for a in rows])
    assert [(m["channel"], m["recipient"], m["kind"]) for m in msgs.values()] == [
        ("telegram", "-1001234567890", "sla_warning"), ("telegram", "-1001234567890", "sla_breach")]
    assert all(t["tracking_id"] in m["text"] for m in msgs.values())
