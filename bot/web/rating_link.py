"""Signed rating links for citizens: ``/t/{id}/nilai?token=...`` (the page: bot/web/rating_page.py).

Like the reopen link (bot/web/reopen.py) the token is signed and bound to the ticket's ``resolved_at``,
so a link made for one finishing stops working once the ticket is reopened or finished again; it
expires ``ratings.reply_window_days`` after SELESAI. Unlike a reopen it may be used more than once:
a later rating replaces the earlier one.
"""
from __future__ import annotations

from datetime import timedelta

from bot.web.finished_links import FinishedTicketLinks

PURPOSE = "rate"


class RatingLinks(FinishedTicketLinks):
    purpose, page = PURPOSE, "nilai"

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.config.ratings.reply_window_days)
