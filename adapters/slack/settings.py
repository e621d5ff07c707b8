"""Slack channel settings (a pydantic model filled from ``channels.slack`` in config.yaml).

Slack is the officers' desk, not a citizen channel: slash commands and thread
photos come in, ticket threads go out. Secrets are ``SecretStr``.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class SlackSettings(BaseModel):
    """Everything the Slack adapter and the staff notifications need."""

    # hide_input_in_errors: a bad value in a validation error may be a secret.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    bot_token: SecretStr  # xoxb-...: chat.postMessage, files.info, url_private downloads
    signing_secret: SecretStr  # verifies every request Slack sends us
    # Web API base; a local fake in tests.
    api_base_url: str = "https://slack.com/api/"
    # The slash command this app answers (the others are refused politely).
    command: str = Field(default="/aduan", pattern=r"^/[a-z0-9_-]{1,31}$")
    # New tickets go to their agency's ``slack_channel`` (agencies[] in config),
    # else to the channel of their area (kelurahan, kecamatan or kota code),
    # else here. No channel at all: tickets are not posted.
    default_channel: str | None = None
    area_channels: dict[str, str] = {}
    # Escalations (SLA breaches...) go to the agency's supervisor_slack_channel, else here.
    supervisor_channel: str | None = None
    # Language of posts in channels and threads (an officer's own command
    # answers use their language from the staff directory).
    language: Literal["id", "en"] = "id"
    # Where response_url answers and file downloads may go: the bot token is
    # only ever sent to file_url_prefixes.
    response_url_prefixes: tuple[str, ...] = ("https://hooks.slack.com/",)
    file_url_prefixes: tuple[str, ...] = ("https://files.slack.com/",)
    max_file_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    timeout_seconds: float = Field(default=10.0, gt=0)

    @field_validator("bot_token", "signing_secret")
    @classmethod
    def _present(cls, value: SecretStr) -> SecretStr:
        # Never echo the value: it is a secret.
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("api_base_url must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("response_url_prefixes", "file_url_prefixes")
    @classmethod
    def _prefixes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for p in value:
            if not p.startswith(("http://", "https://")):
                raise ValueError("prefixes must be http(s) URLs")
        return value
