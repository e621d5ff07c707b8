"""Configuration of the X (Twitter) channel."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

# The mentions timeline allows about 450 requests per 15 minutes per app,
# i.e. one request every 2 s; polling faster only earns 429s.
MIN_POLL_INTERVAL_SECONDS = 2.0


class TwitterSettings(BaseModel):
    """Credentials, endpoints and polling for the X channel.

    ``api_base_url`` / ``upload_base_url`` replace tweepy's hard-coded hosts
    (``https://api.twitter.com`` and ``https://upload.twitter.com``), e.g. for a
    forwarding proxy or a local fake in tests.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_base_url: str = "https://api.twitter.com"
    upload_base_url: str = "https://upload.twitter.com"
    # App-only token: used for the mentions timeline (app rate limit). Without
    # it the mentions timeline is read with the OAuth 1.0a user context.
    bearer_token: SecretStr | None = None
    consumer_key: str
    consumer_secret: SecretStr
    access_token: str
    access_token_secret: SecretStr
    account_user_id: str
    account_username: str = "DKIJakarta"
    poll_mentions: bool = True
    poll_dms: bool = True
    poll_interval_seconds: float = Field(default=60.0, ge=MIN_POLL_INTERVAL_SECONDS)
    webhook_enabled: bool = False
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    # Posting budget of the account (tier dependent); feeds Capabilities.
    posts_per_15_minutes: int = Field(default=100, ge=1)
    # A tweet tagged only with a place (no exact point) gets the place's
    # bounding-box centre as its location, but only if the box is at most this
    # wide/high in degrees (0.05 deg ~ 5.5 km): a city-wide place's centre
    # would send the report to an arbitrary kelurahan.
    place_max_span_degrees: float = Field(default=0.05, ge=0)
    # Attach the proof photo to a *public* reply (DM fallback). Off by default:
    # a photo can show a reporter's house or face before staff redact it.
    public_photos: bool = False

    @field_validator("account_user_id")
    @classmethod
    def _numeric_id(cls, value: str) -> str:
        value = value.strip()
        if not value.isdigit():
            raise ValueError("account_user_id must be the numeric X user id")
        return value

    @field_validator("account_username")
    @classmethod
    def _bare_username(cls, value: str) -> str:
        return value.strip().lstrip("@")

    @field_validator("api_base_url", "upload_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("base URLs must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> "TwitterSettings":
        if self.webhook_enabled and not self.consumer_secret.get_secret_value():
            raise ValueError("webhook_enabled needs consumer_secret (CRC and signatures)")
        return self

    def secrets(self) -> list[str]:
        """Secret values, for log redaction."""
        values = [self.consumer_secret, self.access_token_secret]
        if self.bearer_token is not None:
            values.append(self.bearer_token)
        return [v.get_secret_value() for v in values if v.get_secret_value()]
