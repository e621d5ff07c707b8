"""The partner channel's settings: one API key (and optional signed callback) per partner app."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartnerConfig(Strict):
    name: str = Field(pattern=r"^[a-z0-9_-]{2,30}$")
    api_key: SecretStr
    callback_url: str | None = None
    callback_secret: SecretStr | None = None

    @field_validator("callback_url", mode="before")
    @classmethod
    def _empty_is_none(cls, v: object) -> object:
        return None if v == "" else v


class PartnerChannelConfig(Strict):
    enabled: bool = True
    partners: list[PartnerConfig] = []
    max_photo_bytes: int = 10 * 1_048_576
    photo_fetch_timeout_seconds: float = 10
