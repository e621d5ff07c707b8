"""The channel catalog: every channel the gateway can run, one line each.

A third-party package adds a channel without editing this file by declaring an
entry point in the ``aduan.channels`` group that names its ``ChannelSpec``.
"""
from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any, Mapping

from pydantic import ValidationError

from adapters.contract.spec import ChannelSpec
from adapters.contract.validation import format_validation
from adapters.email import SPEC as EMAIL
from adapters.messenger import SPEC as MESSENGER
from adapters.partner import SPEC as PARTNER
from adapters.slack import SPEC as SLACK
from adapters.telegram import SPEC as TELEGRAM
from adapters.twilio import SPEC as TWILIO
from adapters.twitter import SPEC as TWITTER
from adapters.web import SPEC as WEB
from adapters.whatsapp_cloud import SPEC as WHATSAPP_CLOUD

CATALOG: tuple[ChannelSpec, ...] = (PARTNER, TWILIO, TWITTER, TELEGRAM, EMAIL, SLACK, WEB, MESSENGER,
                                      WHATSAPP_CLOUD)

ENTRY_POINT_GROUP = "aduan.channels"


class ChannelConfigError(ValueError):
    """A ``channels:`` section that does not validate (the message names the key, never the value)."""


@lru_cache(maxsize=1)
def specs() -> tuple[ChannelSpec, ...]:
    """The catalog plus channels installed as ``aduan.channels`` entry points."""
    found = list(CATALOG)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        spec = ep.load()
        if not isinstance(spec, ChannelSpec):
            raise TypeError(f"entry point {ep.name!r} in {ENTRY_POINT_GROUP} is not a ChannelSpec")
        if any(s.name == spec.name for s in found):
            raise ValueError(f"channel {spec.name!r} is declared twice")
        found.append(spec)
    return tuple(found)


def spec(name: str) -> ChannelSpec | None:
    return next((s for s in specs() if s.name == name), None)


def known_spec(name: str) -> ChannelSpec:
    """The spec of a channel the config already validated (so it exists)."""
    found = spec(name)
    if found is None:
        raise KeyError(f"no channel named {name!r}")
    return found


def _enabled(section: dict[str, Any]) -> bool:
    enabled = section.pop("enabled", True)
    if isinstance(enabled, str):  # "${VAR:-false}" arrives as text
        enabled = enabled.strip().lower() in ("1", "true", "yes", "on")
    return bool(enabled)


def validate_sections(sections: Mapping[str, Any]) -> dict[str, tuple[bool, Any]]:
    """name -> (enabled, settings) for every configured or on-by-default channel, in catalog order."""
    known = {s.name: s for s in specs()}
    unknown = set(sections) - set(known)
    if unknown:
        raise ChannelConfigError(f"channels: unknown channel(s) {', '.join(sorted(unknown))}; "
                                 f"known: {', '.join(sorted(known))}")
    out: dict[str, tuple[bool, Any]] = {}
    for name, channel in known.items():
        section = sections.get(name)
        if section is None and not channel.on_by_default:
            continue
        if isinstance(section, channel.settings_model):  # already validated (a copied config)
            out[name] = (bool(getattr(section, "enabled", True)), section)
            continue
        if section is not None and not isinstance(section, dict):
            raise ChannelConfigError(f"channels.{name}: must be a mapping")
        section = dict(section or {})
        enabled = _enabled(section)
        # An unset "${VAR:-}" is empty text: treat it as not given, so a
        # missing secret is reported as the required key it is.
        section = {k: v for k, v in section.items() if v != ""}
        if not enabled and not channel.on_by_default:
            continue  # a switched-off channel's section is not validated (it may be a stub)
        try:
            settings = channel.settings_model.model_validate(section)
        except ValidationError as err:
            raise ChannelConfigError(format_validation(err, prefix=f"channels.{name}")) from None
        if "enabled" in type(settings).model_fields:
            settings = settings.model_copy(update={"enabled": enabled})
        out[name] = (enabled, settings)
    return out
