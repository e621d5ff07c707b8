"""Channels as the core sees them: built from the catalog's specs and the settings validated at load.

The core names no channel: what a channel needs (settings model, builder, log
secrets, staff desk) comes from its ``ChannelSpec``.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from adapters import catalog
from adapters.contract import BuildDeps, ChannelAdapter, ChannelSpec
from bot.config import AppConfig


def build_deps(config: AppConfig, **deps: Any) -> BuildDeps:
    """What every channel's ``build`` may use: config pieces and injected clients."""
    from bot.templates import Templates

    labels = Templates(config.templates, config.status_labels, config.instance.default_language)
    return BuildDeps(public_base_url=config.instance.public_base_url, resolve_path=config.path,
                     status_label=labels.status_label, clock=deps.get("clock"), http_client=deps.get("http_client"),
                     allow_private_hosts=bool(deps.get("allow_private_hosts", False)))


def channel_settings(config: AppConfig) -> dict[str, Any]:
    """Enabled channels' settings (validated once, when the config was loaded)."""
    return config.channels.enabled()


def build_adapters(config: AppConfig, **deps: Any) -> list[tuple[ChannelAdapter, list[str]]]:
    """(adapter, webhook paths) for every enabled channel."""
    ctx = build_deps(config, **deps)
    return [catalog.known_spec(name).build(settings, ctx)
            for name, settings in channel_settings(config).items()]


def always_on_specs() -> list[ChannelSpec]:
    """Channels with no settings that every gateway serves (the web form)."""
    return [s for s in catalog.specs() if s.always_on]


def spec_for(adapter: ChannelAdapter) -> ChannelSpec | None:
    return catalog.spec(adapter.name)


def log_secrets(config: AppConfig) -> list[str | re.Pattern[str]]:
    """Every enabled channel's secrets and secret patterns, for the one log-redaction filter."""
    found: list[str | re.Pattern[str]] = []
    for name, settings in channel_settings(config).items():
        found.extend(catalog.known_spec(name).log_secrets(settings))
    return found


def secret_patterns() -> list[tuple[re.Pattern[str], str]]:
    """Secret shapes every channel knows without settings (any bot token in a URL), with their mask."""
    return [pair for s in catalog.specs() for pair in s.log_patterns]


def sensitive_loggers() -> tuple[Iterable[str], Iterable[str]]:
    """(loggers kept at WARNING, loggers whose records the redaction filter must see at creation)."""
    quiet = [name for s in catalog.specs() for name in s.quiet_loggers]
    watched = [name for s in catalog.specs() for name in s.watched_loggers]
    return quiet, watched
