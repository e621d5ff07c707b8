"""WhatsApp Cloud API as data: a second provider of the "whatsapp" channel (listed in adapters/catalog.py).

Enable it with ``channels.whatsapp_cloud`` and set ``channels.twilio.whatsapp: false``: one
provider serves the channel.
"""
from __future__ import annotations

from adapters.contract import BuildDeps, ChannelAdapter, ChannelSpec
from adapters.whatsapp_cloud.settings import WhatsAppCloudSettings


def build(settings: WhatsAppCloudSettings, deps: BuildDeps) -> tuple[ChannelAdapter, list[str]]:
    from adapters.whatsapp_cloud.adapter import WhatsAppCloudAdapter

    adapter = WhatsAppCloudAdapter(settings, http_client=deps.http_client, allow_private_hosts=deps.allow_private_hosts)
    return adapter, [WhatsAppCloudAdapter.WEBHOOK_PATH]


SPEC = ChannelSpec(name="whatsapp_cloud", settings_model=WhatsAppCloudSettings, build=build)
