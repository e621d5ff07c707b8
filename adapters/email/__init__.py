"""The email channel: an SMTP server in the gateway's loop, replies via a relay or a Maildir."""
from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.contract.lazy import lazy_exports
from adapters.email.settings import EmailSettings, RelaySettings, SmtpUser, hash_password
from adapters.email.spec import SPEC

if TYPE_CHECKING:
    from adapters.email.adapter import EmailAdapter

# The adapter module imports the provider SDK: only when a gateway builds it (adapters/contract/lazy.py).
__getattr__ = lazy_exports(__name__, "adapters.email.adapter", ("EmailAdapter",))

__all__ = ["SPEC", "EmailAdapter", "EmailSettings", "RelaySettings", "SmtpUser", "hash_password"]
