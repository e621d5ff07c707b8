"""Signed rating links for citizens: ``/t/{id}/nilai?token=...`` (the page: bot/web/rating_page.py).

Like the reopen link (bot/web/reopen.py) the token is signed and bound to the ticket's ``resolved_at``,
so a link made for one finishing stops working once the ticket is reopened or finished again; it
expires ``ratings.reply_window_days`` after SELESAI. Unlike a reopen it may be used more than once:
a later rating replaces the earlier one.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapters.contract.rows import RowLike
from bot.config import AppConfig
from bot.web.security import BadToken, Signer

PURPOSE = "rate"


def _stamp(value: datetime) -> int:
    return int(value.timestamp() * 1000)


class RatingLinks:
    def __init__(self, config: AppConfig, signer: Signer | None = None) -> None:
        from bot.web.state import web_secret

        self.config = config
        self.signer = signer or Signer(web_secret(config))
        self.base_url = config.instance.public_base_url.rstrip("/")

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.config.ratings.reply_window_days)

    def token(self, ticket: RowLike) -> str | None:
        resolved = ticket.get("resolved_at")
        if ticket.get("status") != "SELESAI" or resolved is None:
            return None
        return self.signer.sign(PURPOSE, {"t": ticket["tracking_id"], "r": _stamp(resolved)}, resolved + self.window)

    def link(self, ticket: RowLike) -> str | None:
        token = self.token(ticket)
        return f"{self.base_url}/t/{ticket['tracking_id']}/nilai?token={token}" if token else None

    def check(self, token: str | None, tracking_id: str, now: datetime) -> dict[str, Any]:
        """The token's payload if it is genuine, unexpired and for ``tracking_id``; raises BadToken."""
        body = self.signer.verify(PURPOSE, token, now)
        if body.get("t") != tracking_id or not isinstance(body.get("r"), int):
            raise BadToken("purpose")
        return body

    @staticmethod
    def matches(body: RowLike, ticket: RowLike) -> bool:
        """Whether the ticket is still finished as it was when the link was made."""
        resolved = ticket.get("resolved_at")
        return ticket.get("status") == "SELESAI" and resolved is not None and body.get("r") == _stamp(resolved)
