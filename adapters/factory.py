"""Build the configured channel adapters (the only place that knows them all).

Each channel's section under ``channels:`` in config.yaml is validated by that
adapter's own pydantic settings model; ``enabled: false`` switches one off.
"""
from __future__ import annotations

from typing import Any, Callable

from pydantic import BaseModel, ValidationError

from adapters.base import ChannelAdapter
from adapters.partner import PartnerAdapter
from bot.config import AppConfig, ConfigError, _format_validation

Builder = Callable[[Any, AppConfig, dict[str, Any]], tuple[ChannelAdapter, list[str]]]


def _twilio(settings: Any, config: AppConfig, deps: dict[str, Any]) -> tuple[ChannelAdapter, list[str]]:
    from adapters.twilio import TwilioAdapter

    adapter = TwilioAdapter(settings, public_base_url=config.instance.public_base_url,
                            http_client=deps.get("http_client"))
    return adapter, list(TwilioAdapter.WEBHOOK_PATHS)


def _twitter(settings: Any, config: AppConfig, deps: dict[str, Any]) -> tuple[ChannelAdapter, list[str]]:
    from adapters.twitter import TwitterAdapter
    from bot.templates import Templates

    # A refused DM falls back to "<ID> <status word> <link>" in public: the word as citizens read it.
    labels = Templates(config.templates, config.status_labels, config.instance.default_language)
    return TwitterAdapter(settings, status_label=labels.status_label), ["/webhooks/twitter"]


def _telegram(settings: Any, config: AppConfig, deps: dict[str, Any]) -> tuple[ChannelAdapter, list[str]]:
    from adapters.telegram import TelegramAdapter

    return TelegramAdapter(settings), ["/webhooks/telegram"]


def _email(settings: Any, config: AppConfig, deps: dict[str, Any]) -> tuple[ChannelAdapter, list[str]]:
    from adapters.email import EmailAdapter

    if not settings.maildir_path.is_absolute():
        settings = settings.model_copy(update={"maildir_path": config.path(str(settings.maildir_path))})
    return EmailAdapter(settings), []


def _slack(settings: Any, config: AppConfig, deps: dict[str, Any]) -> tuple[ChannelAdapter, list[str]]:
    from adapters.slack import SlackAdapter

    adapter = SlackAdapter(settings, clock=deps.get("clock"), http_client=deps.get("http_client"))
    return adapter, list(SlackAdapter.WEBHOOK_PATHS)


def _settings_model(name: str) -> type[BaseModel]:
    if name == "twilio":
        from adapters.twilio import TwilioSettings

        return TwilioSettings
    if name == "twitter":
        from adapters.twitter import TwitterSettings

        return TwitterSettings
    if name == "telegram":
        from adapters.telegram import TelegramSettings

        return TelegramSettings
    if name == "email":
        from adapters.email import EmailSettings

        return EmailSettings
    if name == "slack":
        from adapters.slack import SlackSettings

        return SlackSettings
    raise KeyError(name)


BUILDERS: dict[str, Builder] = {"twilio": _twilio, "twitter": _twitter, "telegram": _telegram, "email": _email,
                                "slack": _slack}


def channel_settings(config: AppConfig) -> dict[str, BaseModel]:
    """Validate every enabled channel section with its adapter's settings model."""
    sections = dict(config.channels.model_extra or {})
    unknown = set(sections) - set(BUILDERS)
    if unknown:
        raise ConfigError(f"channels: unknown channel(s) {', '.join(sorted(unknown))}; "
                          f"known: partner, {', '.join(sorted(BUILDERS))}")
    out: dict[str, BaseModel] = {}
    for name, section in sections.items():
        if section is None:
            continue
        if not isinstance(section, dict):
            raise ConfigError(f"channels.{name}: must be a mapping")
        section = dict(section)
        enabled = section.pop("enabled", True)
        if isinstance(enabled, str):  # "${VAR:-false}" arrives as text
            enabled = enabled.strip().lower() in ("1", "true", "yes", "on")
        if not enabled:
            continue
        # An unset "${VAR:-}" is empty text: treat it as not given, so a
        # missing secret is reported as the required key it is.
        section = {k: v for k, v in section.items() if v != ""}
        try:
            out[name] = _settings_model(name).model_validate(section)
        except ValidationError as err:
            raise ConfigError(_format_validation(err, prefix=f"channels.{name}")) from None
    return out


def build_adapters(config: AppConfig, **deps: Any) -> list[tuple[ChannelAdapter, list[str]]]:
    """(adapter, webhook paths) for every enabled channel."""
    built: list[tuple[ChannelAdapter, list[str]]] = []
    if config.channels.partner.enabled:
        built.append((PartnerAdapter(config.channels.partner, http_client=deps.get("http_client"),
                                     allow_private_hosts=deps.get("allow_private_hosts", False)), []))
    for name, settings in channel_settings(config).items():
        built.append(BUILDERS[name](settings, config, deps))
    return built
