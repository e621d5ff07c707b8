"""Build the configured channel adapters (the only place that knows them all)."""
from __future__ import annotations

from typing import Any

from adapters.base import ChannelAdapter
from adapters.partner import PartnerAdapter
from bot.config import AppConfig, ConfigError

# Channel config key -> webhook paths it serves.
KNOWN_CHANNELS = ("partner",)


def build_adapters(config: AppConfig, **deps: Any) -> list[tuple[ChannelAdapter, list[str]]]:
    """(adapter, webhook paths) for every enabled channel in ``config.channels``."""
    extra = set((config.channels.model_extra or {}).keys())
    unknown = extra - set(KNOWN_CHANNELS)
    if unknown:
        raise ConfigError(f"channels: unknown channel(s) {', '.join(sorted(unknown))}")
    built: list[tuple[ChannelAdapter, list[str]]] = []
    if config.channels.partner.enabled:
        built.append((PartnerAdapter(config.channels.partner, http_client=deps.get("http_client"),
                                     allow_private_hosts=deps.get("allow_private_hosts", False)), []))
    return built
