"""Citizens rate the handling of a finished ticket from 1 to 5 (issue 15, point 4).

The ask: ``ask_for_rating`` is a ``StatusChanged`` subscriber (registered after the citizen's SELESAI
notification, so it is queued right after it). It is a message of its own, kind ``rating_ask``:

- on channels that show reply buttons (Telegram inline keyboard, Messenger quick replies) it carries
  ``payload["buttons"]``: five buttons whose press comes back as the text ``NILAI <id> <score>``;
- where a long link fits (email), it links to ``/t/{id}/nilai`` (bot/web/rating_page.py), a page with
  five buttons and a comment box;
- everywhere, "reply with a digit 1-5" works.

On a channel with a messaging window (WhatsApp, Messenger) that is closed, the ask is not sent at all:
no approved template or tag covers it, and an unasked question is better than an "undeliverable"
notice to the officers (the SELESAI message itself goes by its own template, bot/window.py).

The answer: ``take`` runs in intake before the command grammar. A message is a rating when it is
``NILAI|RATE|RATING <tracking id> <1-5> [comment]`` from the ticket's reporter, or when it starts with
a lone digit 1-5 and its sender has a ticket on this channel that became SELESAI within
``ratings.reply_window_days`` (an email reply threaded to such a ticket rates that one). Anything
else goes on as before: a bare digit from someone with nothing to rate is an ordinary message.

One rating per ticket: a later one replaces the earlier (``ticket.rating``), every one is a ticket
event ``rating``; the figures (fig_perf's ``rated``, ``rating_total``, ``rated_low`` per agency and
kelurahan) follow through ``store.repo.update_ticket``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import Connection, RowMapping

from adapters.contract.rows import RowLike
from bot.command_ids import read_id
from bot.config import RatingsConfig
from bot.events import StatusChanged
from bot.intake_commands import reopen_refusal, reply_direct
from bot import intake_threads
from bot.intake_email import reply_texts
from bot.intake_types import IntakeOutcome, IntakeRules, PreparedInbound
from bot.lifecycle import Status
from bot.outbox import OutboxPolicy, notify_reporter
from bot.window import blocked
from store import repo
from store import ratings as rating_store

SCORES = (1, 2, 3, 4, 5)
LOW = 2  # a rating at or below this counts in the "share of 1-2" and may offer the reopen path
KEYWORD = "NILAI"  # what a button press sends back (any of _KEYWORDS is read)
_KEYWORDS = re.compile(r"^\s*[/#!]?(?:nilai|rate|rating)(?![^\W_])[\s:,.-]*", re.IGNORECASE)
# A lone digit 1-5 first ("4", "4.", "4/5", "5 cepat, terima kasih"), not a number ("45", "3.5", "2x").
_SCORE = re.compile(r"^\s*([1-5])(?:\s*/\s*5)?(?![\d\w/]|[.,]\d)[\s.,;:!)\-]*(.*)$", re.S)
MAX_COMMENT = 1000


@dataclass(frozen=True)
class RatingReply:
    """A message read as a rating: the score, the comment, and the ticket it names (if quoted)."""

    score: int
    comment: str
    tracking_id: str | None = None


def parse_rating(text: str, prefix: str) -> RatingReply | None:
    """``text`` as a rating reply, or None when it is not one (the caller then handles it as today)."""
    keyword = _KEYWORDS.match(text or "")
    rest = text[keyword.end():] if keyword else (text or "")
    tracking_id = None
    if keyword:
        tracking_id, _, after = read_id(rest, prefix)
        rest = after if tracking_id else rest
    found = _SCORE.match(rest)
    if found is None:
        return None
    return RatingReply(int(found.group(1)), found.group(2).strip()[:MAX_COMMENT], tracking_id)


def button_text(tracking_id: str, score: int) -> str:
    """What a rating button sends back when pressed (Telegram callback_data: at most 64 bytes)."""
    return f"{KEYWORD} {tracking_id} {score}"


def buttons(tracking_id: str) -> list[dict[str, str]]:
    """``payload["buttons"]`` of the ask: one per score, labelled with the digit."""
    return [{"label": str(s), "text": button_text(tracking_id, s)} for s in SCORES]


# Who may rate a ticket, and when, is the reopen rule: its reporter, a SELESAI ticket, within the window
# after it was finished (the window is ``ratings.reply_window_days`` here).
refusal = reopen_refusal


def unresolved(comment: str, settings: RatingsConfig) -> bool:
    """Whether a comment says the problem is not fixed ("belum beres")."""
    folded = " ".join(comment.casefold().split())
    return any(" ".join(p.casefold().split()) in folded for p in settings.unresolved_phrases if p.strip())


def offers_reopen(score: int, comment: str, settings: RatingsConfig) -> bool:
    return score <= LOW and unresolved(comment, settings)


def record(conn: Connection, now: datetime, ticket: RowMapping, score: int, comment: str, actor: str,
           *, channel: str, message_id: int | None = None) -> None:
    """Store the rating on the ticket (replacing an earlier one; the figures follow) and as an event."""
    if score not in SCORES:
        raise ValueError(f"a rating is 1..5, not {score!r}")
    repo.update_ticket(conn, ticket["id"], rating=score, rating_comment=comment or None, rated_at=now,
                       updated_at=now)
    # Not public: the comment is the citizen's own words (it may name them).
    repo.add_event(conn, ticket["id"], "rating", actor, now, reason=comment or None,
                   data={"score": score, "previous": ticket["rating"], "channel": channel, "message_id": message_id})


def _target(conn: Connection, item: PreparedInbound, reporter: RowMapping, since: datetime) -> RowMapping | None:
    """The ticket a bare digit rates: the one an email reply is threaded to, else the latest finished one."""
    msg = item.msg
    if msg.thread_refs:
        tid = intake_threads.ticket_for(conn, msg)
        ticket = repo.ticket_by_id(conn, tid) if tid else None
        if ticket is not None and ticket["reporter_id"] == reporter["id"] and ticket["status"] == Status.SELESAI.value \
                and ticket["resolved_at"] is not None and ticket["resolved_at"] >= since:
            return ticket
    return rating_store.pending_ticket(conn, reporter["id"], msg.channel, since)


def take(conn: Connection, item: PreparedInbound, rules: IntakeRules, now: datetime, reporter: RowMapping,
         message_id: int) -> IntakeOutcome | None:
    """Record ``item`` as a rating if it is one (see the module's docstring); None: not a rating."""
    settings, msg = rules.config.ratings, item.msg
    if not settings.enabled or msg.standalone or msg.is_location_only or not msg.text:
        return None
    reply = next((r for r in (parse_rating(text, rules.prefix) for text in reply_texts(msg)) if r), None)
    if reply is None:
        return None
    window = settings.reply_window_days
    if reply.tracking_id is None:
        ticket = _target(conn, item, reporter, now - timedelta(days=window))
        if ticket is None:
            return None  # nothing to rate: handled as it always was
    else:
        ticket = repo.ticket_by_tracking_id(conn, reply.tracking_id)
        if ticket is None:
            if msg.auto_reply:
                reply_direct(conn, rules, now, reporter, msg, "not_found", automatic=True,
                             tracking_id=reply.tracking_id)
            return IntakeOutcome("command", message_id, None, reply.tracking_id)
        why = refusal(ticket, reporter["id"], now, window)
        if why is not None:
            if msg.auto_reply:
                lang = reporter["language"] or rules.config.instance.default_language
                reply_direct(conn, rules, now, reporter, msg, "rating_refused", automatic=True,
                             tracking_id=ticket["tracking_id"],
                             why=rules.policy.templates.render(f"rating_why_{why}", lang, days=int(window)))
            return IntakeOutcome("command", message_id, None, ticket["tracking_id"])
    record(conn, now, ticket, reply.score, reply.comment, "citizen", channel=msg.channel, message_id=message_id)
    if msg.auto_reply:
        thank(conn, rules.policy, now, ticket, reporter, reply.score, reply.comment, settings,
              reply_context=msg.reply_context)
    return IntakeOutcome("rating", message_id, ticket["id"], ticket["tracking_id"])


def thank(conn: Connection, policy: OutboxPolicy, now: datetime, ticket: RowMapping, reporter: RowMapping,
          score: int, comment: str, settings: RatingsConfig, *, reply_context: dict[str, Any]) -> int | None:
    """The short thank-you; a 1-2 that says "belum beres" is offered the reopen path (link or BUKA)."""
    fields: dict[str, Any] = {"score": score}
    template = "rating_thanks"
    if offers_reopen(score, comment, settings):
        url = policy.reopen_link(ticket) if policy.reopen_link else None
        if url and policy.links_fit(ticket["channel"]):
            template, fields["reopen_url"] = "rating_thanks_reopen_web", url
        else:
            template = "rating_thanks_reopen"
    return notify_reporter(conn, policy, now, ticket, template, kind="ack", reporter=reporter, automatic=True,
                           reply_context=reply_context, **fields)


def ask_for_rating(
    current: Callable[[], OutboxPolicy],
    settings: Callable[[], RatingsConfig],
    rating_link: Callable[[RowLike], str | None],
    shows_buttons: Callable[[str], bool],
) -> Callable[[Connection, datetime, StatusChanged], int | None]:
    """The ``StatusChanged`` subscriber asking for a rating when a ticket becomes SELESAI.

    ``rating_link`` makes the signed page link; ``shows_buttons`` says whether a channel shows
    ``payload["buttons"]`` (a capability of its adapter)."""

    def on_status(conn: Connection, now: datetime, event: StatusChanged) -> int | None:
        ticket = event.after
        if ticket["status"] != Status.SELESAI.value or not settings().enabled:
            return None
        policy = current()
        if not policy.templates.has("rating_ask"):
            return None  # an operator's templates without the rating texts: no ask
        reporter = repo.get_reporter(conn, ticket["reporter_id"])
        if reporter is None:
            return None
        channel = ticket["channel"]
        fields: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        wants_link = policy.links_fit(channel) or channel in settings().link_channels
        url = rating_link(ticket) if wants_link else None
        if shows_buttons(channel) and policy.templates.has("rating_ask_buttons"):
            template, extra["buttons"] = "rating_ask_buttons", buttons(ticket["tracking_id"])
        elif url and policy.templates.has("rating_ask_link"):
            template, fields["rating_url"] = "rating_ask_link", url
        else:
            template = "rating_ask"
        if blocked(policy.windows, channel, "rating_ask", template, reporter, now) is not None:
            return None
        return notify_reporter(conn, policy, now, ticket, template, kind="rating_ask", reporter=reporter,
                               extra_payload=extra, **fields)

    return on_status
