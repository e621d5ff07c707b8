"""The web form channel as data: always on, no settings, nothing to send."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from adapters.contract import BuildDeps, ChannelAdapter, ChannelSpec


class WebChannelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")


def build(settings: WebChannelSettings, deps: BuildDeps) -> tuple[ChannelAdapter, list[str]]:
    from adapters.web.adapter import WebFormChannel

    return WebFormChannel(), []  # /lapor is served by the core's web app, not a webhook


SPEC = ChannelSpec(name="web", settings_model=WebChannelSettings, build=build, on_by_default=True, always_on=True)
