"""Channels come from the catalog's specs; their settings are validated once, at config load."""
from __future__ import annotations

from pathlib import Path

import pytest

from adapters import catalog
from adapters.contract import ChannelSpec
from bot.channels import build_adapters
from bot.config import ConfigError
from bot.staff.notify import staff_routing
from tests.conftest import make_config

SLACK = {"bot_token": "xoxb-1-2-abc", "signing_secret": "s3cr3t-signing", "default_channel": "C0DEFAULT"}


def test_every_channel_package_is_in_the_catalog_once() -> None:
    names = [s.name for s in catalog.specs()]
    assert sorted(names) == ["email", "messenger", "partner", "slack", "telegram", "twilio", "twitter", "web", "whatsapp_cloud"]
    assert all(isinstance(s, ChannelSpec) for s in catalog.specs())


def test_a_switched_off_section_given_as_text_is_off(tmp_path: Path) -> None:
    # The shipped config says enabled: ${ADUAN_SLACK_ENABLED:-false}, which arrives as the text "false".
    # notify.py used to test that text's truthiness, so Slack threads were queued with Slack off.
    config = make_config(tmp_path, channels={"slack": {**SLACK, "enabled": "false"}})
    assert config.channel_settings("slack") is None
    assert staff_routing(config) is None
    on = make_config(tmp_path, channels={"slack": {**SLACK, "enabled": "true"}})
    assert on.channel_settings("slack").default_channel == "C0DEFAULT"
    assert staff_routing(on).default_channel == "C0DEFAULT"


def test_a_bad_section_stops_the_config_load_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        make_config(tmp_path, channels={"slack": {"enabled": True, "bot_token": "xoxb-1"}})
    assert "channels.slack.signing_secret" in str(info.value)
    assert "xoxb-1" not in str(info.value)


def test_an_unknown_channel_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown channel"):
        make_config(tmp_path, channels={"pigeon": {"enabled": True}})


def test_settings_print_no_secret_after_load(tmp_path: Path) -> None:
    config = make_config(tmp_path, channels={"slack": {**SLACK, "enabled": True}})
    assert "s3cr3t-signing" not in repr(config) and "s3cr3t-signing" not in config.model_dump_json()


def test_built_channels_follow_the_enabled_sections(tmp_path: Path) -> None:
    config = make_config(tmp_path, channels={"slack": {**SLACK, "enabled": True}})
    built = {adapter.name: paths for adapter, paths in build_adapters(config)}
    assert built["slack"] == ["/webhooks/slack/commands", "/webhooks/slack/events"]
    assert "partner" in built and "web" in built
    assert "telegram" not in built  # shipped section switched off
