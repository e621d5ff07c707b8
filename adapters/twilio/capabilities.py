"""What SMS and WhatsApp through Twilio can carry, as data read from settings.

https://www.twilio.com/docs/glossary/what-sms-character-limit
https://www.twilio.com/docs/whatsapp/key-concepts#sending-messages
"""
from __future__ import annotations

from adapters.contract.channel import Capabilities, MessagingWindow
from adapters.twilio.settings import TwilioSettings

# Twilio refuses a Body over 1,600 characters on any channel.
TWILIO_BODY_MAX = 1600
# WhatsApp media captions are cut at 1,024 characters.
WHATSAPP_CAPTION_MAX = 1024
# Twilio's limit for image media (JPEG/PNG) in and out.
TWILIO_IMAGE_MAX_BYTES = 5 * 1024 * 1024


def sms_capabilities(settings: TwilioSettings) -> Capabilities:
    """SMS: no splitting (the core shortens and links), MMS only if enabled."""
    # Twilio's throughput is per segment; a message may use max_segments of them.
    per_second = settings.sms_segments_per_second / settings.max_segments
    # Upper bound in GSM-7 characters; text_fits() is the real test.
    gsm_max = 160 if settings.max_segments == 1 else 153 * settings.max_segments
    return Capabilities(
        max_text_length=min(gsm_max, TWILIO_BODY_MAX),
        supports_photo=settings.sms_mms,
        max_photo_bytes=TWILIO_IMAGE_MAX_BYTES,
        photo_caption_max=min(gsm_max, TWILIO_BODY_MAX),
        rate_per_second=per_second,
        burst=max(1, int(per_second)),
        per_recipient_per_second=settings.per_recipient_per_second,
        per_recipient_burst=2,
        split_long_text=False,
        links_fit=False,  # a ~190-character link would cost a segment of its own
    )


def whatsapp_capabilities(settings: TwilioSettings) -> Capabilities:
    """WhatsApp: photos with captions, long text split into 1,600-char messages."""
    rate = settings.whatsapp_messages_per_second
    return Capabilities(
        max_text_length=TWILIO_BODY_MAX,
        supports_photo=True,
        max_photo_bytes=TWILIO_IMAGE_MAX_BYTES,
        photo_caption_max=WHATSAPP_CAPTION_MAX,
        rate_per_second=rate,
        burst=max(1, int(rate)),
        per_recipient_per_second=settings.per_recipient_per_second,
        per_recipient_burst=3,
        split_long_text=True,
        window=MessagingWindow(hours=settings.whatsapp_window_hours, outside="template"),
    )
