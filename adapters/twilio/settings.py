"""Configuration of the Twilio adapter (SMS 1708 and WhatsApp)."""
from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

WHATSAPP_PREFIX = "whatsapp:"


class TwilioNumber(BaseModel):
    """One Twilio sender we own: the 1708 short code, +628111272206..."""

    # E.164 number or short code, without the "whatsapp:" prefix.
    number: str
    # Channel label kept with every message (e.g. "lapor-1708", "sms-08111272206").
    label: str
    # The number can send MMS (media out works in US/Canada only).
    mms: bool = False
    # The number is a registered WhatsApp sender.
    whatsapp: bool = False

    @field_validator("number")
    @classmethod
    def _clean_number(cls, value: str) -> str:
        cleaned = value.strip()
        if cleaned.lower().startswith(WHATSAPP_PREFIX):
            cleaned = cleaned[len(WHATSAPP_PREFIX):]
        cleaned = cleaned.replace(" ", "").replace("-", "")
        if not cleaned:
            raise ValueError("empty number")
        return cleaned


class WhatsAppTemplate(BaseModel):
    """An approved WhatsApp template in Twilio's Content API, used outside the 24-hour window.

    https://www.twilio.com/docs/content/send-templates-created-with-the-content-template-builder
    """

    # Content SID ("HX...") per language ("id", "en"); the first one serves a language without its own.
    sid: dict[str, str] = Field(default_factory=dict)
    # The Aduan values filling {{1}}, {{2}}...: tracking_id, status, url, reason, text, category, media.
    variables: list[str] = Field(default_factory=lambda: ["tracking_id", "status", "url"])

    @field_validator("sid")
    @classmethod
    def _drop_unset(cls, value: dict[str, str]) -> dict[str, str]:
        # "${TWILIO_WA_TEMPLATE_...:-}" left unset arrives as "": that language has no template.
        return {lang: sid.strip() for lang, sid in value.items() if sid and sid.strip()}

    def sid_for(self, language: str | None) -> str:
        return self.sid.get(language or "") or next(iter(self.sid.values()))


class TwilioSettings(BaseModel):
    """Settings for ``TwilioAdapter``. Secrets are ``SecretStr``."""

    account_sid: str
    # Signs webhooks, authenticates media downloads and (without an API key) REST calls.
    auth_token: SecretStr
    # Optional API key for REST calls (https://www.twilio.com/docs/iam/api-keys).
    api_key_sid: str | None = None
    api_key_secret: SecretStr | None = None
    # Only needed when a Webhook Rule signs our URLs with a SharedKey
    # (X-Twilio-Webhooks-Signature-Settings); otherwise the auth token signs.
    webhook_shared_key_secret: SecretStr | None = None
    # REST API base URL; point it at a fake in tests.
    api_base_url: str = "https://api.twilio.com"
    # Twilio edge/region (e.g. edge "singapore"). Taken from here only:
    # TWILIO_EDGE / TWILIO_REGION in the environment are ignored on purpose.
    edge: str | None = None
    region: str | None = None
    # Order matters: the first number is the default SMS sender, the first
    # WhatsApp-enabled one the default WhatsApp sender.
    numbers: list[TwilioNumber] = Field(min_length=1)
    # Send proof photos as MMS on numbers flagged ``mms`` (US/Canada only).
    sms_mms: bool = False
    # SMS longer than this many segments is shortened by the core.
    max_segments: int = Field(default=3, ge=1, le=10)
    # Twilio throughput: 1 segment/s on a long code, 100+/s on a short code.
    sms_segments_per_second: float = Field(default=1.0, gt=0)
    whatsapp_messages_per_second: float = Field(default=20.0, gt=0)
    per_recipient_per_second: float = Field(default=1.0, gt=0)
    # Used when a 429 carries no Retry-After header.
    default_retry_after: float = Field(default=30.0, gt=0)
    # Inbound media.
    max_media_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    media_timeout_seconds: float = Field(default=8.0, gt=0)
    media_max_redirects: int = Field(default=5, ge=0)
    # REST calls; twilio's async client has no timeout of its own.
    request_timeout_seconds: float = Field(default=15.0, gt=0)
    # Twilio serves the "whatsapp" channel; false when WhatsApp Cloud API (channels.whatsapp_cloud) serves it.
    whatsapp: bool = True
    # WhatsApp's customer-service window: free-form messages only this long after the citizen wrote.
    whatsapp_window_hours: float = Field(default=24.0, gt=0)
    # Approved templates by Aduan template name (ack_new, status_changed, proof_done, staff_reply...):
    # outside the window a message of that template goes as ContentSid + ContentVariables.
    whatsapp_templates: dict[str, WhatsAppTemplate] = Field(default_factory=dict)
    # Form bodies larger than this are refused (Twilio's are a few KB).
    max_form_bytes: int = Field(default=256 * 1024, gt=0)

    @field_validator("api_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _unique_numbers(self) -> "TwilioSettings":
        numbers = [n.number for n in self.numbers]
        if len(set(numbers)) != len(numbers):
            raise ValueError("each Twilio number may be configured once")
        return self

    def whatsapp_template(self, name: str | None) -> WhatsAppTemplate | None:
        """The approved template for an Aduan template name; a "<name>_web" variant (the same news with a
        one-time link) uses "<name>"'s template. None when none is configured with a SID."""
        name = name or ""
        found = self.whatsapp_templates.get(name) or self.whatsapp_templates.get(name.removesuffix("_web"))
        return found if found is not None and found.sid else None

    def find_number(self, number: str) -> TwilioNumber | None:
        """The configured number matching ``number`` (with or without whatsapp:)."""
        bare = number.strip()
        if bare.lower().startswith(WHATSAPP_PREFIX):
            bare = bare[len(WHATSAPP_PREFIX):]
        return next((n for n in self.numbers if n.number == bare), None)

    def default_number(self, channel: str) -> TwilioNumber | None:
        """The sender used when a message carries no reply_context["to"]."""
        if channel == "whatsapp":
            return next((n for n in self.numbers if n.whatsapp), None)
        return self.numbers[0]
