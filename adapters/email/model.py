"""The parser's settings (``ParserConfig``) and its answer (``ParseOutcome``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.contract.messages import DeliveryUpdate, InboundMessage

CHANNEL = "email"


@dataclass(frozen=True)
class ParserConfig:
    """What the parser needs to know about us and its limits."""

    addresses: tuple[str, ...] = ("dki@jakarta.go.id",)
    msgid_domain: str = "jakarta.go.id"
    loop_value: str = "jakarta.go.id"
    tracking_prefix: str = "JKT"
    max_header_bytes: int = 1024 * 1024
    max_header_field_bytes: int = 64 * 1024
    max_encoded_words: int = 100
    trusted_authserv_ids: tuple[str, ...] = ()
    max_mime_containers: int = 50
    max_mime_depth: int = 20
    max_mime_parts: int = 200
    max_photos: int = 10
    max_photo_bytes: int = 10 * 1024 * 1024
    min_photo_bytes: int = 1024
    raw_keep_bytes: int = 1024 * 1024
    max_text_chars: int = 200_000

    @classmethod
    def from_settings(cls, settings: Any) -> ParserConfig:
        """Build from ``EmailSettings`` (kept duck-typed to avoid an import cycle)."""
        return cls(
            addresses=tuple(settings.addresses),
            msgid_domain=settings.msgid_domain.lower(),
            loop_value=settings.loop_value,
            tracking_prefix=settings.tracking_prefix,
            max_header_bytes=settings.max_header_bytes,
            max_header_field_bytes=settings.max_header_field_bytes,
            max_encoded_words=settings.max_encoded_words,
            trusted_authserv_ids=tuple(settings.trusted_authserv_ids),
            max_mime_containers=settings.max_mime_containers,
            max_mime_depth=settings.max_mime_depth,
            max_mime_parts=settings.max_mime_parts,
            max_photos=settings.max_photos,
            max_photo_bytes=settings.max_photo_bytes,
            min_photo_bytes=settings.min_photo_bytes,
            raw_keep_bytes=settings.raw_keep_bytes,
            max_text_chars=settings.max_text_chars,
        )


@dataclass
class ParseOutcome:
    """What to do with one mail.

    kind: ``message`` (submit ``message``), ``delivery`` (record ``updates``),
    ``dropped`` (accept, hand nothing on: ``reason`` says why) or ``refused``
    (answer ``smtp_reply``, a 5xx).
    """

    kind: str
    message: InboundMessage | None = None
    updates: list[DeliveryUpdate] = field(default_factory=list)
    reason: str | None = None
    smtp_reply: str | None = None
