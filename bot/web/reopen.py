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
from bot.web.finished_links import FinishedTicketLinks

PURPOSE = "reopen"


class ReopenLinks(FinishedTicketLinks):
    purpose, page = PURPOSE, "buka"
    payload_ints = ("n", "r")

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.config.intake.reopen_window_days)

    def payload(self, ticket: RowLike, resolved: datetime) -> dict[str, Any]:
        # The reopen count too: once reopened, the link is used up even if the ticket is finished again.
        return dict(super().payload(ticket, resolved), n=int(ticket.get("reopen_count") or 0))


def reopen_link(ticket: RowLike, config: AppConfig) -> str | None:
    """The one-time reopen URL for a SELESAI ticket row (None otherwise)."""
    return ReopenLinks(config).link(ticket)
