"""TOTP two-factor sign-in (pyotp) and recovery codes, on the gateway's injected clock.

* ``new_secret`` / ``provisioning_uri`` / ``qr_svg``: enrolment; the QR code is drawn on the server by
  segno as inline SVG (no CDN, no JavaScript).
* ``matching_step``: the time step a code belongs to (the current one or one either side, for a phone
  clock a little off), so the caller can record it and refuse the same code twice.
* Recovery codes are 10 random base32 characters (50 bits): high entropy, so a plain SHA-256 is enough
  to store them (a slow hash like scrypt guards guessable passwords, not random keys).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno

MFA_ROLES = frozenset({"admin", "validator"})  # roles that must sign in with TOTP
ISSUER = "Aduan"
RECOVERY_CODES = 10
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are typed from paper


def mfa_required(role: str) -> bool:
    return role in MFA_ROLES


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, login: str, issuer: str = ISSUER) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=issuer)


def qr_svg(data: str) -> str:
    """An inline ``<svg>`` of ``data`` (scales to its container; dark modules on white)."""
    return str(segno.make(data, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff",
                                                      svgclass="qr"))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace() and ch != "-")


def matching_step(secret: str, code: str, now: datetime, window: int = 1) -> int | None:
    """The TOTP time step (``floor(t / 30)``) whose code is ``code``, within +-``window`` steps; else None."""
    code = normalise_code(code)
    if not (code.isdigit() and len(code) == 6) or not secret:
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for offset in range(-window, window + 1):
        if hmac.compare_digest(totp.generate_otp(step + offset), code):
            return step + offset
    return None


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Codes shown once, as ``XXXXX-XXXXX``."""
    raw = ("".join(secrets.choice(_ALPHABET) for _ in range(10)) for _ in range(count))
    return [f"{c[:5]}-{c[5:]}" for c in raw]


def hash_recovery_code(code: str) -> str:
    return "sha256$" + hashlib.sha256(normalise_code(code).upper().encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    c = normalise_code(code).upper()
    return len(c) == 10 and all(ch in _ALPHABET for ch in c)
