"""One-time reopen links for citizens: ``/t/{id}/buka?token=...``.

The token is signed (see bot.web.security) and bound to the ticket's
``reopen_count`` and ``resolved_at``: once the ticket is reopened (the count
goes up, resolved_at is cleared) or finished again (a new resolved_at), the
old link no longer matches, so a link works once without any table. It
expires when the reopen window after SELESAI ends.

For notifications: ``ReopenLinks(config).link(ticket)`` gives the URL for a
SELESAI ticket row (None for any other status); the ``proof_done_web``
templates in config.yaml show how to use it as ``{reopen_url}``.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapters.contract.rows import RowLike
from bot.config import AppConfig
from bot.web.security import BadToken, Signer

PURPOSE = "reopen"


def _stamp(value: datetime) -> int:
    return int(value.timestamp() * 1000)


class ReopenLinks:
    def __init__(self, config: AppConfig, signer: Signer | None = None) -> None:
        from bot.web.state import web_secret

        self.config = config
        self.signer = signer or Signer(web_secret(config))
        self.base_url = config.instance.public_base_url.rstrip("/")

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.config.intake.reopen_window_days)

    def token(self, ticket: RowLike) -> str | None:
        resolved = ticket.get("resolved_at")
        if ticket.get("status") != "SELESAI" or resolved is None:
            return None
        payload = {"t": ticket["tracking_id"], "n": int(ticket.get("reopen_count") or 0), "r": _stamp(resolved)}
        return self.signer.sign(PURPOSE, payload, resolved + self.window)

    def link(self, ticket: RowLike) -> str | None:
        token = self.token(ticket)
        return f"{self.base_url}/t/{ticket['tracking_id']}/buka?token={token}" if token else None

    def check(self, token: str | None, tracking_id: str, now: datetime) -> dict[str, Any]:
        """The token's payload if it is genuine, unexpired and for ``tracking_id``; raises BadToken."""
        body = self.signer.verify(PURPOSE, token, now)
        if body.get("t") != tracking_id or not isinstance(body.get("n"), int) or not isinstance(body.get("r"), int):
            raise BadToken("purpose")
        return body

    @staticmethod
    def matches(body: RowLike, ticket: RowLike) -> bool:
        """Whether the ticket is still in the state the link was made for (i.e. the link is unused)."""
        resolved = ticket.get("resolved_at")
        return (ticket.get("status") == "SELESAI" and resolved is not None
                and body.get("n") == int(ticket.get("reopen_count") or 0) and body.get("r") == _stamp(resolved))


def reopen_link(ticket: RowLike, config: AppConfig) -> str | None:
    """The one-time reopen URL for a SELESAI ticket row (None otherwise)."""
    return ReopenLinks(config).link(ticket)
