"""Queue outbound messages in the same transaction as the change causing them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from sqlalchemy import Connection, RowMapping

from adapters.contract.rows import RowLike
from bot.events import EventBus
from bot.redact import Identity, redact
from bot.sla import SlaRules
from bot.templates import Templates
from bot.window import WindowPolicy, blocked, stamp, undeliverable, variant
from store import repo
from store.outbox import lane_name


@dataclass(frozen=True)
class OutboxPolicy:
    """What the enqueue side needs to know: templates, links and channel reach."""

    templates: Templates
    public_base_url: str
    auto_replies_per_hour: int
    # Whether a channel can reach a recipient at all (e.g. a partner without callback URL).
    reachable: Callable[[str, str], bool]
    # A one-time reopen link for a SELESAI ticket (the web tracking page), if available.
    reopen_link: Callable[[RowLike], str | None] | None = None
    # Whether a ~190-character link fits a channel's messages (a capability); where it
    # does not, a SELESAI message says "reply BUKA <id>" instead of a reopen link.
    links_fit: Callable[[str], bool] = lambda channel: True
    # Whether a channel may show a reply in public (a capability): only then is the redacted
    # public text built (the redactor's phone matcher was the dearest part of a reply, issue 16).
    public_replies: Callable[[str], bool] = lambda channel: True
    # The SLA clock every deadline and transition is computed on (calendar time by default).
    sla: SlaRules = field(default_factory=SlaRules.default)
    # Where changes record their domain events; the composition root subscribes the notifiers.
    events: EventBus = field(default_factory=EventBus)
    # Messaging windows of the channels (WhatsApp, Messenger): bot/window.py.
    windows: WindowPolicy = field(default_factory=WindowPolicy)

    def tracking_url(self, tracking_id: str) -> str:
        return f"{self.public_base_url.rstrip('/')}/t/{tracking_id}"


NO_RECIPIENT = frozenset({"unknown", "none", "null"})  # placeholders, never addresses


class UnknownRecipient(ValueError):
    """An outbound message addressed to a placeholder instead of a real recipient."""


def enqueue(
    conn: Connection,
    now: datetime,
    *,
    channel: str,
    recipient: str,
    text: str,
    kind: str,
    ticket_id: int | None = None,
    reporter_id: int | None = None,
    reply_context: Mapping[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
    attachment_id: int | None = None,
) -> int:
    """Write one outbound message in state ``queued``; the dispatcher sends it."""
    if str(recipient).strip().lower() in NO_RECIPIENT:
        # A placeholder address (a body no adapter could parse is kept as sender
        # "unknown") must never become a reply, a Slack post or a DM.
        raise UnknownRecipient(f"refusing to queue a {kind} message on {channel} to {recipient!r}")
    return repo.insert(
        conn,
        repo.T_MESSAGE,
        dict(
            channel=channel, direction="out", recipient=recipient, reporter_id=reporter_id, ticket_id=ticket_id,
            kind=kind, lane=lane_name(channel, kind), text=text, status="queued", attempts=0, next_attempt_at=now, parts_sent=0,
            attachment_id=attachment_id, reply_context=repo.dumps(dict(reply_context or {})),
            payload=repo.dumps(dict(payload or {})), created_at=now, updated_at=now,
        ),
    )


def notify_reporter(
    conn: Connection,
    policy: OutboxPolicy,
    now: datetime,
    ticket: RowLike,
    template: str,
    *,
    kind: str,
    reporter: RowMapping | None = None,
    attachment_id: int | None = None,
    automatic: bool = False,
    reply_context: Mapping[str, Any] | None = None,
    extra_payload: Mapping[str, Any] | None = None,
    **fields: Any,
) -> int | None:
    """Render ``template`` in the reporter's language and queue it on the ticket's channel.

    ``extra_payload`` adds keys adapters may use (``buttons``: see bot/ratings.py).

    Returns the message id, or None when nothing may be sent (opted out,
    unreachable channel, or the hourly cap on automatic replies reached).
    """
    reporter = reporter or repo.get_reporter(conn, ticket["reporter_id"])
    if reporter is None or reporter["opted_out"] or reporter["unreachable"]:
        return None
    channel, address = ticket["channel"], reporter["address"]
    if not policy.reachable(channel, address):
        return None
    if automatic and reporter["created_at"] != now and \
            repo.count_recent_outbound(conn, channel, address, now - timedelta(hours=1)) >= policy.auto_replies_per_hour:
        return None
    lang = reporter["language"] or ticket.get("language")
    t = policy.templates
    url = policy.tracking_url(ticket["tracking_id"])
    status_label = t.status_label(ticket["status"], lang)
    values = dict(tracking_id=ticket["tracking_id"], url=url, status=status_label, **fields)
    text = t.render(variant(policy.windows, t, channel, template), lang, **values)
    payload: dict[str, Any] = {
        "event": kind,
        "tracking_id": ticket["tracking_id"],
        "status": ticket["status"],
        "language": t.language(lang),
        # The messaging window (bot/window.py): when they last wrote, and what an adapter needs to
        # send this as an approved template (its name and the values it was rendered with).
        "last_inbound_at": stamp(reporter),
        "template": template,
        "fields": {k: v for k, v in values.items() if isinstance(v, (str, int, float))},
        **(extra_payload or {}),
    }
    if policy.public_replies(channel):
        # Shown in public on X: through the one redactor, whatever an operator puts in the template.
        payload["public_text"] = redact(t.render("public_short", lang, **values), Identity.of(reporter))
    why = blocked(policy.windows, channel, kind, template, reporter, now)
    if why is not None:
        return undeliverable(conn, policy.windows, now, enqueue, reason=why, ticket=ticket, reporter=reporter,
                             kind=kind, template=template, text=text, payload=payload,
                             attachment_id=attachment_id, reachable=policy.reachable, events=policy.events)
    return enqueue(
        conn, now, channel=channel, recipient=address, text=text, kind=kind, ticket_id=ticket["id"],
        reporter_id=reporter["id"],
        reply_context=reply_context if reply_context is not None else repo.last_inbound_context(conn, ticket["id"], reporter["id"]),
        payload=payload, attachment_id=attachment_id,
    )
