"""Signed tokens (sessions, CSRF, one-time reopen links) and staff password hashes.

Tokens are ``base64url(json).base64url(hmac-sha256)`` with a purpose ("salt")
mixed into the key, so a CSRF token can never pass as a session or a reopen
link. Expiry is checked against the gateway's injected clock, never wall time,
so tests move time with FakeClock.

Password hashes (``StaffConfig.password_hash``) use the standard library's
scrypt: ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>``. Make one with::

    .venv/bin/python -m bot.web.passwords            # prompts twice, prints the hash
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_MAX_TOKEN = 4096


class BadToken(Exception):
    """A token that is forged, malformed, for another purpose or expired."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why  # "malformed" | "signature" | "purpose" | "expired"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """HMAC-SHA256 tokens carrying a small JSON payload and an expiry."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("web.secret_key must be at least 16 bytes")
        self._secret = secret

    def _key(self, purpose: str) -> bytes:
        return hmac.new(self._secret, b"aduan-web:" + purpose.encode(), hashlib.sha256).digest()

    def sign(self, purpose: str, payload: dict[str, Any], expires_at: datetime) -> str:
        body = dict(payload, exp=int(expires_at.timestamp()))
        raw = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
        mac = hmac.new(self._key(purpose), raw.encode(), hashlib.sha256).digest()
        return f"{raw}.{_b64(mac)}"

    def verify(self, purpose: str, token: str | None, now: datetime) -> dict[str, Any]:
        """The payload of a valid token; raises BadToken otherwise."""
        if not token or len(token) > _MAX_TOKEN or token.count(".") != 1:
            raise BadToken("malformed")
        raw, mac = token.split(".")
        try:
            given = _unb64(mac)
        except (ValueError, TypeError):
            raise BadToken("malformed") from None
        expected = hmac.new(self._key(purpose), raw.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(given, expected):
            raise BadToken("signature")
        try:
            body = json.loads(_unb64(raw))
        except (ValueError, TypeError):
            raise BadToken("malformed") from None
        if not isinstance(body, dict) or not isinstance(body.get("exp"), int):
            raise BadToken("malformed")
        if now.timestamp() > body["exp"]:
            raise BadToken("expired")
        return body


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Drop control characters (NUL above all: PostgreSQL refuses it in text) but keep line breaks and tabs."""
    return _CONTROL.sub("", value)


def load_secret(configured: str | None, path: Path) -> bytes:
    """The configured key, else one generated once and kept (mode 0600) at ``path``."""
    if configured:
        return configured.encode()
    try:
        data = path.read_bytes().strip()
        if len(data) >= 32:
            return data
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    log.info("generated a web secret key at %s (set web.secret_key to share it between processes)", path)
    return key


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` for ``StaffConfig.password_hash``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check of ``password`` against a stored scrypt hash; False for anything malformed."""
    if not stored or not password or len(password) > 1024:
        return False
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, want = _unb64(parts[4]), _unb64(parts[5])
        if not (2 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16):
            return False
        got = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=len(want), maxmem=2**27)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


# A hash of a random password: checking a login for an unknown user costs the same time.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
