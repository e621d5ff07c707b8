"""Telegram channel settings (a pydantic model; the core fills it from its config)."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

# Telegram accepts 1-256 characters of A-Za-z0-9_- as a webhook secret token.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")

DEFAULT_ALLOWED_UPDATES = ("message", "edited_message", "callback_query")


class TelegramSettings(BaseModel):
    """Everything the Telegram adapter needs; secrets are ``SecretStr``."""

    # hide_input_in_errors: a bad value in a validation error may be a secret.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    bot_token: SecretStr
    # "polling": getUpdates long polling (works without a public URL).
    # "webhook": Telegram POSTs updates to /webhooks/telegram.
    mode: Literal["polling", "webhook"] = "polling"
    webhook_secret: SecretStr | None = None
    # If set (webhook mode), start() registers this URL with setWebhook.
    webhook_url: str | None = None
    # A self-hosted Bot API server (or a local fake in tests) goes here.
    api_base_url: str = "https://api.telegram.org"
    # Self-hosted Bot API server started with --local (file paths are local).
    local_mode: bool = False
    # The staff group's chat id; its updates go to the adapter's staff_handler.
    staff_chat_id: int | None = None
    allowed_updates: tuple[str, ...] = DEFAULT_ALLOWED_UPDATES
    # The bot's @username shown on /lapor and the public pages (t.me link); default: what getMe answered.
    public_username: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_]{5,32}$")

    # Long polling.
    poll_timeout: int = Field(default=30, ge=0, le=50)
    poll_limit: int = Field(default=100, ge=1, le=100)
    poll_retry_initial: float = Field(default=1.0, gt=0)
    poll_retry_max: float = Field(default=60.0, gt=0)

    # Inbound photos: the official Bot API lets bots download at most 20 MB.
    max_photo_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    download_attempts: int = Field(default=3, ge=1, le=10)

    # HTTP timeouts (seconds) for the Bot API client.
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=10.0, gt=0)
    write_timeout: float = Field(default=10.0, gt=0)
    media_write_timeout: float = Field(default=30.0, gt=0)
    connection_pool_size: int = Field(default=8, ge=1)

    # Webhook mode: how many recent staff update_ids to remember for dedup.
    webhook_dedup_window: int = Field(default=2048, ge=1)

    @field_validator("api_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("api_base_url must be an http(s) URL")
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_present(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("bot_token is empty")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_format(cls, value: SecretStr | None) -> SecretStr | None:
        # Never echo the value in the error: it is a secret.
        if value is not None and not _SECRET_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("webhook_secret must be 1-256 characters of A-Za-z0-9_-")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> TelegramSettings:
        if self.mode == "webhook" and self.webhook_secret is None:
            raise ValueError("webhook mode needs webhook_secret")
        if self.poll_retry_max < self.poll_retry_initial:
            raise ValueError("poll_retry_max must be >= poll_retry_initial")
        return self

    @property
    def bot_base_url(self) -> str:
        return f"{self.api_base_url}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.api_base_url}/file/bot"
