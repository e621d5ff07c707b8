"""Signed links about a finished (SELESAI) ticket, for citizens: reopen it (bot/web/reopen.py), rate it
(bot/web/rating_link.py). One shape for both: the token is signed (bot.web.security.Signer) with a purpose,
bound to the ticket's tracking ID and ``resolved_at`` (plus what a subclass adds), and expires a window after
SELESAI, so a link made for one finishing stops working once the ticket is reopened or finished again."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapters.contract.rows import RowLike
from bot.config import AppConfig
from bot.web.security import BadToken, Signer


def stamp(value: datetime) -> int:
    return int(value.timestamp() * 1000)


class FinishedTicketLinks:
    purpose = ""  # the Signer purpose: a token for one kind of link is refused by the other
    page = ""  # /t/{id}/<page>?token=...
    payload_ints: tuple[str, ...] = ("r",)  # the payload's integer fields, checked in every token

    def __init__(self, config: AppConfig, signer: Signer | None = None) -> None:
        from bot.web.state import web_secret

        self.config = config
        self.signer = signer or Signer(web_secret(config))
        self.base_url = config.instance.public_base_url.rstrip("/")

    @property
    def window(self) -> timedelta:
        raise NotImplementedError

    def payload(self, ticket: RowLike, resolved: datetime) -> dict[str, Any]:
        """What the token binds: the ticket and the finishing it was made for."""
        return {"t": ticket["tracking_id"], "r": stamp(resolved)}

    def token(self, ticket: RowLike) -> str | None:
        resolved = ticket.get("resolved_at")
        if ticket.get("status") != "SELESAI" or resolved is None:
            return None
        return self.signer.sign(self.purpose, self.payload(ticket, resolved), resolved + self.window)

    def link(self, ticket: RowLike) -> str | None:
        token = self.token(ticket)
        return f"{self.base_url}/t/{ticket['tracking_id']}/{self.page}?token={token}" if token else None

    def check(self, token: str | None, tracking_id: str, now: datetime) -> dict[str, Any]:
        """The token's payload if it is genuine, unexpired and for ``tracking_id``; raises BadToken."""
        body = self.signer.verify(self.purpose, token, now)
        if body.get("t") != tracking_id or any(not isinstance(body.get(k), int) for k in self.payload_ints):
            raise BadToken("purpose")
        return body

    def matches(self, body: RowLike, ticket: RowLike) -> bool:
        """Whether the ticket is still finished as it was when the link was made."""
        resolved = ticket.get("resolved_at")
        return (ticket.get("status") == "SELESAI" and resolved is not None
                and all(body.get(k) == v for k, v in self.payload(ticket, resolved).items()))
