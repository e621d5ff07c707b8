"""The staff side's subscriptions, called once by the composition root (``bot.gateway``).

Which desks officers read follows from the configuration: Slack ticket
threads when Slack is on, the Telegram staff group when it has a
``staff_chat_id``. Order matters: an SLA alert goes to the first desk that
can reach the ticket.
"""
from __future__ import annotations

from typing import Any

from bot.alerts import OfficerAlertRouter
from bot.config import AppConfig
from bot.events import EventBus, SlaAlertRaised
from bot.staff.group_alerts import SlackOutboxAlerts, TelegramGroupAlerts
from bot.staff.notify import staff_routing
from bot.staff.threads import SlackThreads
from bot.templates import Templates


def wire_staff_events(bus: EventBus, config: AppConfig, templates: Templates) -> OfficerAlertRouter:
    """Subscribe the desks to ``bus``; returns the router SLA alerts go through."""
    threads = SlackThreads(staff_routing(config), templates)
    threads.subscribe(bus)
    desks: list[Any] = [threads]
    group = telegram_staff_group(config)
    if group is not None:
        desks.append(TelegramGroupAlerts(group))
    router = OfficerAlertRouter(desks, fallback=SlackOutboxAlerts(
        {a.code: a.slack_channel for a in config.agencies if a.slack_channel}))
    bus.subscribe(SlaAlertRaised, router.on_sla)
    return router


def telegram_staff_group(config: AppConfig) -> int | None:
    """The configured Telegram staff group chat, if the Telegram channel is on."""
    try:
        telegram = config.channel_settings("telegram")  # validated once, when the config was loaded
    except Exception:  # noqa: BLE001 - a channel config problem is reported by check-config, not here
        return None
    return getattr(telegram, "staff_chat_id", None)
