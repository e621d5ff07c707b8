"""The Twilio channel as data (SMS and WhatsApp); listed in adapters/catalog.py."""
from __future__ import annotations

from adapters.contract import BuildDeps, ChannelAdapter, ChannelSpec
from adapters.twilio.settings import TwilioSettings


def build(settings: TwilioSettings, deps: BuildDeps) -> tuple[ChannelAdapter, list[str]]:
    from adapters.twilio.adapter import TwilioAdapter

    adapter = TwilioAdapter(settings, public_base_url=deps.public_base_url, http_client=deps.http_client)
    return adapter, list(TwilioAdapter.WEBHOOK_PATHS)


SPEC = ChannelSpec(name="twilio", settings_model=TwilioSettings, build=build, quiet_loggers=("twilio",))
