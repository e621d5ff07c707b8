"""Account Activity API webhook security: CRC answers and event signatures.

Both are ``"sha256=" + base64(HMAC-SHA256(consumer_secret, data))``: over the
``crc_token`` for the CRC check, over the raw request body for events
(header ``x-twitter-webhooks-signature``).
"""
from __future__ import annotations

import base64
import hashlib
import hmac

SIGNATURE_HEADER = "x-twitter-webhooks-signature"


def sign(consumer_secret: str, data: bytes) -> str:
    """``sha256=`` + base64 HMAC-SHA256 of ``data``."""
    digest = hmac.new(consumer_secret.encode("utf-8"), data, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode("ascii")


def crc_response_token(consumer_secret: str, crc_token: str) -> str:
    """The ``response_token`` that answers a CRC GET."""
    return sign(consumer_secret, crc_token.encode("utf-8"))


def signature_valid(consumer_secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check of an event POST's signature header."""
    if not header:
        return False
    expected = sign(consumer_secret, body).encode("ascii")
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "replace"))
