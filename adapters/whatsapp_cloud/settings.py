"""Configuration of WhatsApp through Meta's own Cloud API (a city's WhatsApp Business account)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from adapters.meta.settings import MetaAppSettings


class CloudTemplate(BaseModel):
    """An approved message template in the WhatsApp Business account, used outside the 24-hour window.

    https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates
    """

    model_config = ConfigDict(extra="forbid")

    # The template's name in WhatsApp Manager, and the language codes it was approved in.
    name: str
    languages: list[str] = Field(default_factory=lambda: ["id", "en"], min_length=1)
    # The Aduan values filling the body's {{1}}, {{2}}...: tracking_id, status, url, reason, text, category.
    variables: list[str] = Field(default_factory=lambda: ["tracking_id", "status", "url"])
    # An image header: the proof photo is uploaded and sent in it.
    image_header: bool = False

    def language_for(self, language: str | None) -> str:
        return language if language in self.languages else self.languages[0]


class WhatsAppCloudSettings(MetaAppSettings):
    """Settings for ``WhatsAppCloudAdapter`` (plus the Meta app's, ``MetaAppSettings``). Secrets are ``SecretStr``."""

    # The business phone number's id (metadata.phone_number_id of webhooks, the path of sends).
    phone_number_id: str
    # A system-user access token with whatsapp_business_messaging.
    access_token: SecretStr
    # The number citizens write to, as shown on /lapor and the public pages (e.g. +62 811-1272-206).
    display_number: str = ""
    # Approved templates by Aduan template name (ack_new, status_changed, proof_done, staff_reply).
    templates: dict[str, CloudTemplate] = Field(default_factory=dict)
    # The "Cek status" reply button under updates that name a ticket (texts up to 1,024 characters).
    button_title: dict[str, str] = Field(default_factory=lambda: {"id": "Cek status", "en": "Check status"})
    window_hours: float = Field(default=24.0, gt=0)

    def template(self, name: str | None) -> CloudTemplate | None:
        """The template for an Aduan template name; "<name>_web" shares "<name>"'s."""
        name = name or ""
        return self.templates.get(name) or self.templates.get(name.removesuffix("_web"))
