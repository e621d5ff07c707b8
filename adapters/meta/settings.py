"""Settings every Meta channel shares: the app that signs webhooks, the Graph API and its limits."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class MetaAppSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    # The Meta app's secret: every webhook POST is signed with it (X-Hub-Signature-256).
    app_secret: SecretStr
    # Our word in the subscription handshake (hub.verify_token), chosen when subscribing the webhook.
    verify_token: SecretStr
    # Graph API base and version; point the base at a fake in tests.
    graph_base_url: str = "https://graph.facebook.com"
    api_version: str = Field(default="v21.0", pattern=r"^v[0-9]+\.[0-9]+$")
    request_timeout_seconds: float = Field(default=15.0, gt=0)
    # Used when a throttling answer carries no Retry-After.
    default_retry_after: float = Field(default=60.0, gt=0)
    messages_per_second: float = Field(default=20.0, gt=0)
    # Webhook bodies larger than this are refused with 413.
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    # Inbound images.
    max_media_bytes: int = Field(default=5 * 1024 * 1024, gt=0)

    @field_validator("graph_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def api_url(self, path: str) -> str:
        return f"{self.graph_base_url}/{self.api_version}/{path.lstrip('/')}"
