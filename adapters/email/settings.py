"""Settings of the email channel (inbound SMTP server, outbound relay or Maildir)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

# scrypt cost for stored SMTP AUTH passwords (RFC 7914 parameters: 2**14, 8, 1).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Hash an SMTP AUTH password for ``SmtpUser.password_hash``.

    Format: ``scrypt$N$r$p$<salt b64>$<hash b64>`` (stdlib ``hashlib.scrypt``).
    """
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt)}${b64(digest)}"


def verify_password(password: bytes, stored: str) -> bool:
    """Check ``password`` against a hash made by ``hash_password`` (or Django's pbkdf2_sha256)."""
    try:
        scheme, *fields = stored.split("$")
        if scheme == "scrypt":
            n, r, p, salt, want = fields
            got = hashlib.scrypt(
                password, salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), maxmem=256 * 1024 * 1024
            )
        elif scheme == "pbkdf2_sha256":
            iterations, salt, want = fields
            got = hashlib.pbkdf2_hmac("sha256", password, salt.encode(), int(iterations))
        else:
            return False
        return hmac.compare_digest(got, base64.b64decode(want))
    except (ValueError, TypeError):
        # A malformed stored hash is a configuration error: refuse, never crash.
        return False


class SmtpUser(BaseModel):
    """One account allowed to AUTH to the inbound server (e.g. an upstream relay).

    Give either ``password_hash`` (see ``hash_password``) or ``password_env``,
    the name of an environment variable holding the plain password.
    """

    model_config = ConfigDict(frozen=True)

    username: str
    password_hash: SecretStr | None = None
    password_env: str | None = None

    @model_validator(mode="after")
    def _one_secret(self) -> SmtpUser:
        if (self.password_hash is None) == (self.password_env is None):
            raise ValueError("give exactly one of password_hash or password_env")
        return self

    def check(self, password: bytes) -> bool:
        """Whether ``password`` is this user's password (constant-time compare)."""
        if self.password_hash is not None:
            return verify_password(password, self.password_hash.get_secret_value())
        expected = os.environ.get(self.password_env or "")
        if not expected:
            return False  # unset variable: nobody may log in as this user
        return hmac.compare_digest(password, expected.encode())


class RelaySettings(BaseModel):
    """The SMTP relay that carries our replies out (aiosmtplib)."""

    host: str
    port: int = 587
    # starttls: plain connect then STARTTLS (587); tls: implicit TLS (465); none: plain (25, tests).
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    timeout_seconds: float = 30.0
    validate_certs: bool = True
    ca_file: Path | None = None  # extra CA bundle, e.g. for an internal relay


class EmailSettings(BaseModel):
    """Everything the email channel needs; secrets are ``SecretStr``."""

    # --- inbound SMTP server ---
    listen_host: str = "127.0.0.1"
    listen_port: int = 2525  # 0 picks a free port (tests)
    server_hostname: str = "aduan.jakarta.go.id"  # banner / EHLO name; avoids a slow getfqdn()
    # Addresses we accept mail for; any other RCPT gets 550. The first is our From address.
    addresses: list[str] = Field(default_factory=lambda: ["dki@jakarta.go.id"], min_length=1)
    max_message_bytes: int = 25 * 1024 * 1024  # announced as SIZE; more gets 552
    max_header_bytes: int = 1024 * 1024  # a larger header section is refused (552 5.3.4)
    # One header field (with its folded lines) longer than this, or with more RFC 2047
    # encoded words, is refused with 554 as a header bomb before any parsing.
    max_header_field_bytes: int = 64 * 1024
    max_encoded_words: int = 100
    # Time budget for parsing one mail (in a worker thread) and how many mails are
    # parsed at once: the memory budget is about this many times the message size limit.
    parse_timeout_seconds: float = 60.0
    max_parallel_parses: int = 2
    # Worker processes that parse mail beside the gateway (its event loop and single DB
    # writer share one GIL); 0 parses in threads of the gateway process.
    parse_processes: int = Field(default=0, ge=0, le=16)
    # A mail up to this size is parsed right in the event loop: under the limits above its parse
    # is bounded (~0.3 ms for a usual few KB, ~12 ms for a crafted 16 KB one), cheaper than a hop
    # to a worker thread that only competes for the same GIL. Larger mail goes to the workers,
    # within the time budget. 0: every mail in the workers.
    inline_parse_bytes: int = Field(default=16 * 1024, ge=0)
    # authserv-ids of the relays whose Authentication-Results header we believe
    # (SPF/DKIM/DMARC); empty = trust none, and STOP by email is then never verified.
    trusted_authserv_ids: list[str] = Field(default_factory=list)
    max_mime_containers: int = 50  # multipart/message parts; more is refused as a MIME bomb
    max_mime_depth: int = 20  # deeper parts are ignored (noted)
    max_mime_parts: int = 200  # parts past this are ignored (noted)
    max_photos: int = 10
    max_photo_bytes: int = 10 * 1024 * 1024
    min_photo_bytes: int = 1024  # smaller images are tracking pixels / signature logos
    raw_keep_bytes: int = 1024 * 1024  # larger raw mail keeps only its header in InboundMessage.raw
    max_text_chars: int = 200_000  # body text past this is cut (noted for staff): intake stays fast
    session_timeout_seconds: float = 300.0
    tls_cert_file: Path | None = None  # STARTTLS is offered when cert and key are set
    tls_key_file: Path | None = None
    require_starttls: bool = False
    auth_users: list[SmtpUser] = Field(default_factory=list)
    auth_required: bool = False
    auth_require_tls: bool = True  # AUTH only after STARTTLS
    bind_retry_seconds: float = 30.0

    # --- outbound ---
    from_name: str = "Pemprov DKI Jakarta - Aduan"
    message_id_domain: str | None = None  # default: the domain of addresses[0]
    loop_token: str | None = None  # X-Aduan-Loop value; default: message_id_domain
    relay: RelaySettings | None = None  # None: write replies to the Maildir below
    maildir_path: Path = Path("var/mail")
    tracking_prefix: str = "JKT"

    @field_validator("addresses")
    @classmethod
    def _lower(cls, v: list[str]) -> list[str]:
        return [a.strip().lower() for a in v]

    @model_validator(mode="after")
    def _tls_pair(self) -> EmailSettings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together")
        if self.require_starttls and self.tls_cert_file is None:
            raise ValueError("require_starttls needs tls_cert_file and tls_key_file")
        if self.auth_required and not self.auth_users:
            raise ValueError("auth_required needs auth_users")
        return self

    @property
    def from_address(self) -> str:
        return self.addresses[0]

    @property
    def msgid_domain(self) -> str:
        return self.message_id_domain or self.from_address.rpartition("@")[2]

    @property
    def loop_value(self) -> str:
        return self.loop_token or self.msgid_domain

    @property
    def tls_enabled(self) -> bool:
        return self.tls_cert_file is not None
