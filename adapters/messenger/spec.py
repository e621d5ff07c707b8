"""The Messenger channel as data; listed in adapters/catalog.py."""
from __future__ import annotations

from adapters.contract import BuildDeps, ChannelAdapter, ChannelSpec
from adapters.messenger.settings import MessengerSettings


def build(settings: MessengerSettings, deps: BuildDeps) -> tuple[ChannelAdapter, list[str]]:
    from adapters.messenger.adapter import MessengerAdapter

    adapter = MessengerAdapter(settings, http_client=deps.http_client, allow_private_hosts=deps.allow_private_hosts)
    return adapter, [MessengerAdapter.WEBHOOK_PATH]


SPEC = ChannelSpec(name="messenger", settings_model=MessengerSettings, build=build)
