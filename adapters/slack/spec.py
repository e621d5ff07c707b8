"""The Slack channel as data: the officers' desk (slash commands, ticket threads, proof photos)."""
from __future__ import annotations

from adapters.contract import BuildDeps, ChannelAdapter, ChannelSpec
from adapters.slack.settings import SlackSettings


def build(settings: SlackSettings, deps: BuildDeps) -> tuple[ChannelAdapter, list[str]]:
    from adapters.slack.adapter import SlackAdapter

    adapter = SlackAdapter(settings, clock=deps.clock, http_client=deps.http_client)
    return adapter, list(SlackAdapter.WEBHOOK_PATHS)


SPEC = ChannelSpec(name="slack", settings_model=SlackSettings, build=build, quiet_loggers=("slack_sdk",),
                   staff_desk="bot.staff.slack:SlackDesk")
