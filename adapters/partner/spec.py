"""The partner-app channel as data: on by default (with no partners it accepts nothing)."""
from __future__ import annotations

from adapters.contract import BuildDeps, ChannelAdapter, ChannelSpec
from adapters.partner.settings import PartnerChannelConfig


def build(settings: PartnerChannelConfig, deps: BuildDeps) -> tuple[ChannelAdapter, list[str]]:
    from adapters.partner.adapter import PartnerAdapter

    return PartnerAdapter(settings, http_client=deps.http_client, allow_private_hosts=deps.allow_private_hosts), []


SPEC = ChannelSpec(name="partner", settings_model=PartnerChannelConfig, build=build, on_by_default=True)
