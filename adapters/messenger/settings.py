"""Configuration of the Messenger channel (a Facebook Page, through the Graph API)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class MessengerSettings(BaseModel):
    """Settings for ``MessengerAdapter``. Secrets are ``SecretStr``."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    # The Page's id (entry[].id and recipient.id of inbound events).
    page_id: str
    # Page access token (Send API, attachment upload).
    page_access_token: SecretStr
    # The app secret: Meta signs every webhook POST with it (X-Hub-Signature-256).
    app_secret: SecretStr
    # Our word in the subscription handshake (hub.verify_token), chosen when subscribing the webhook.
    verify_token: SecretStr
    # Graph API base and version; point the base at a fake in tests.
    graph_base_url: str = "https://graph.facebook.com"
    api_version: str = Field(default="v21.0", pattern=r"^v[0-9]+\.[0-9]+$")
    # How citizens find the Page (listed on /lapor and the public pages), e.g. https://m.me/DKIJakarta.
    page_url: str = ""
    # Message tags used outside the 24-hour window, by kind of update (Meta's message tag policy:
    # ACCOUNT_UPDATE for a change to something the person applied for, HUMAN_AGENT for an officer's
    # own answer within 7 days). A kind without a tag is recorded as not deliverable outside the window.
    tags: dict[str, str] = Field(default_factory=lambda: {"status": "ACCOUNT_UPDATE",
                                                          "staff_reply": "HUMAN_AGENT"})
    # The quick-reply button under every update that names a ticket (its payload is "CEK <id>").
    quick_reply_title: dict[str, str] = Field(default_factory=lambda: {"id": "Cek status", "en": "Check status"})
    # Photos out: uploaded with the message (default), or sent as the public /media URL (Meta fetches it).
    photo_by_url: bool = False
    # Inbound images.
    max_media_bytes: int = Field(default=8 * 1024 * 1024, gt=0)
    request_timeout_seconds: float = Field(default=15.0, gt=0)
    # Used when a throttling answer carries no Retry-After.
    default_retry_after: float = Field(default=60.0, gt=0)
    messages_per_second: float = Field(default=20.0, gt=0)
    # Webhook bodies larger than this are refused with 413.
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)

    @field_validator("graph_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = {"ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "HUMAN_AGENT"}
        bad = sorted(set(value.values()) - allowed)
        if bad:
            raise ValueError(f"unknown message tag(s) {', '.join(bad)}; allowed: {', '.join(sorted(allowed))}")
        return value

    def api_url(self, path: str) -> str:
        return f"{self.graph_base_url}/{self.api_version}/{path.lstrip('/')}"
