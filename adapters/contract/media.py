"""Image sniffing: trust the bytes, never the claimed content type."""
from __future__ import annotations

from email.message import Message

ALLOWED_IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


def sniff_image_type(content: bytes) -> str | None:
    """The real image type from magic bytes, or None if not an allowed image."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


def part_bytes(part: Message) -> bytes | None:
    """A MIME part's transfer-decoded body; None for a multipart container.

    The stdlib types ``get_payload(decode=True)`` as ``Message | bytes | Any``; decoding a leaf always gives bytes.
    """
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else None
