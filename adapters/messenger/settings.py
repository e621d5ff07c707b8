"""Configuration of the Messenger channel (a Facebook Page, through the Graph API)."""
from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from adapters.meta.settings import MetaAppSettings


class MessengerSettings(MetaAppSettings):
    """Settings for ``MessengerAdapter`` (plus the Meta app's, ``MetaAppSettings``). Secrets are ``SecretStr``."""

    # The Page's id (entry[].id and recipient.id of inbound events).
    page_id: str
    # Page access token (Send API, attachment upload).
    page_access_token: SecretStr
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
    max_media_bytes: int = Field(default=8 * 1024 * 1024, gt=0)

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = {"ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "HUMAN_AGENT"}
        bad = sorted(set(value.values()) - allowed)
        if bad:
            raise ValueError(f"unknown message tag(s) {', '.join(bad)}; allowed: {', '.join(sorted(allowed))}")
        return value
