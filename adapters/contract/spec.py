"""What a channel package declares about itself: ``SPEC = ChannelSpec(...)``.

The catalog (adapters/catalog.py) lists the specs; the core reads nothing
else about a channel. Adding a channel is one package plus one catalog line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol, runtime_checkable

from pydantic import BaseModel, SecretStr

from adapters.contract.channel import ChannelAdapter
from adapters.contract.clock import Clock


def _plain_label(status: str, language: str | None = None) -> str:
    return status


@dataclass(frozen=True)
class BuildDeps:
    """What the composition root hands every channel's ``build`` (all optional in tests)."""

    public_base_url: str = ""
    resolve_path: Callable[[str], Path] = Path  # relative paths in config resolve from the config's folder
    status_label: Callable[[str, str | None], str] = _plain_label  # status words as citizens read them
    clock: Clock | None = None
    http_client: Any = None
    allow_private_hosts: bool = False


Build = Callable[[Any, BuildDeps], "tuple[ChannelAdapter, list[str]]"]


def secret_values(settings: Any) -> list[str]:
    """Every ``SecretStr`` value in a settings model (nested models and lists included)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, SecretStr):
            if value.get_secret_value():
                found.append(value.get_secret_value())
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(settings)
    return found


@dataclass(frozen=True)
class ChannelSpec:
    """One channel, as data: how its config section is validated and how it is built."""

    name: str
    settings_model: type[BaseModel]
    build: Build
    # Secret strings or regexes (tokens, API keys) the one log filter masks, from validated settings.
    log_secrets: Callable[[Any], Iterable[str | re.Pattern[str]]] = secret_values
    # Secret shapes known without settings (e.g. any bot token in an API URL) and their replacement.
    log_patterns: tuple[tuple[re.Pattern[str], str], ...] = ()
    # SDK loggers that log request URLs or addresses at INFO: kept at WARNING.
    quiet_loggers: tuple[str, ...] = ()
    # Loggers whose records carry secrets: the one redaction filter sits on each (a logger's filter
    # sees only records created on that very logger, and freezes lazily formatted arguments at once).
    watched_loggers: tuple[str, ...] = ()
    # Optional staff desk, "module:attribute" of a factory taking (adapter=, engine=, directory=, db=,
    # clock=, wake=). A reference, not an import: the desk lives with the staff engine in the core.
    staff_desk: str | None = None
    # Built with default settings when config.yaml has no section for it (partner, web).
    on_by_default: bool = False
    # Added by the gateway even when a test hands it a list of adapters (the web form has no settings).
    always_on: bool = False


@runtime_checkable
class StaffDeskHost(Protocol):
    """An adapter that hands officers' commands to a staff desk (Slack, the Telegram staff group)."""

    def attach_staff_desk(self, desk: Any, clock: Clock) -> None: ...
