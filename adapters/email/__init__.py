"""The email channel: an SMTP server in the gateway's loop, replies via a relay or a Maildir."""
from __future__ import annotations

from adapters.email.adapter import EmailAdapter
from adapters.email.settings import EmailSettings, RelaySettings, SmtpUser, hash_password
from adapters.email.spec import SPEC

__all__ = ["SPEC", "EmailAdapter", "EmailSettings", "RelaySettings", "SmtpUser", "hash_password"]
