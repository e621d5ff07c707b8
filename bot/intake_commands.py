"""Citizen commands inside intake: STOP/START, help and language, status (CEK) and reopen (BUKA).

Answers go straight into the outbox (``reply_direct``), in the citizen's
language, within the hourly cap on automatic replies.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping

from bot.commands import CitizenCommand
from bot.intake_email import stop_verified
from bot.intake_types import IntakeOutcome, IntakeRules, PreparedInbound
from bot.lifecycle import Status, TransitionError
from bot.models import InboundMessage
from bot.tickets import transition
from store import repo


def reply_direct(
    conn: Connection, rules: IntakeRules, now: datetime, reporter: RowMapping, msg: InboundMessage, template: str,
    *, automatic: bool, **fields: Any,
) -> None:
    """Answer a message that has no ticket of its own (help, status, errors)."""
    from bot.outbox import enqueue

    if reporter["opted_out"] or reporter["unreachable"] or not rules.policy.reachable(msg.channel, msg.sender):
        return
    if automatic and repo.count_recent_outbound(conn, msg.channel, msg.sender, now - timedelta(hours=1)) >= rules.policy.auto_replies_per_hour:
        return
    lang = reporter["language"] or rules.config.instance.default_language
    base = rules.config.instance.public_base_url.rstrip("/")
    values = {"url": base, "tracking_id": "", "status": "", **fields}
    text = rules.policy.templates.render(template, lang, **values)
    payload: dict[str, Any] = {"event": "command_reply", "language": lang}
    if fields.get("tracking_id"):
        # Public channels may only ever show the ID and link, never the reply itself.
        payload["public_text"] = rules.policy.templates.render(
            "public_short", lang, tracking_id=fields["tracking_id"],
            url=rules.policy.tracking_url(fields["tracking_id"]), status="")
    enqueue(conn, now, channel=msg.channel, recipient=msg.sender, text=text, kind="command_reply",
            reporter_id=reporter["id"], reply_context=msg.reply_context, payload=payload)


def run_command(
    conn: Connection, item: PreparedInbound, rules: IntakeRules, now: datetime, reporter: RowMapping,
    message_id: int, command: CitizenCommand,
) -> IntakeOutcome:
    msg = item.msg
    if command.language and command.language != reporter["language"] and command.kind in ("language", "help"):
        repo.update_reporter(conn, reporter["id"], now, language=command.language)
        reporter = repo.reread_reporter(conn, reporter["id"])
    reply = msg.auto_reply
    if command.kind == "stop":
        if not stop_verified(msg):
            if reply:
                reply_direct(conn, rules, now, reporter, msg, "stop_unverified", automatic=True)
            return IntakeOutcome("command", message_id)
        repo.update_reporter(conn, reporter["id"], now, opted_out=True)
        return IntakeOutcome("command", message_id)
    if command.kind == "start":
        repo.update_reporter(conn, reporter["id"], now, opted_out=False)
        reporter = repo.reread_reporter(conn, reporter["id"])
        if reply:
            reply_direct(conn, rules, now, reporter, msg, "opted_in", automatic=False)
        return IntakeOutcome("command", message_id)
    if command.kind in ("help", "language"):
        if reply:
            reply_direct(conn, rules, now, reporter, msg, "help" if command.kind == "help" else "language_set",
                          automatic=True)
        return IntakeOutcome("command", message_id)
    if command.invalid_id or not command.tracking_id:
        if reply:
            reply_direct(conn, rules, now, reporter, msg, "invalid_id", automatic=True,
                          given=command.invalid_id or "")
        return IntakeOutcome("command", message_id)
    ticket = repo.ticket_by_tracking_id(conn, command.tracking_id)
    if ticket is None:
        if reply:
            reply_direct(conn, rules, now, reporter, msg, "not_found", automatic=True,
                          tracking_id=command.tracking_id)
        return IntakeOutcome("command", message_id)
    if command.kind == "status":
        if reply:
            lang = reporter["language"] or rules.config.instance.default_language
            reply_direct(
                conn, rules, now, reporter, msg, "status_reply", automatic=True,
                tracking_id=ticket["tracking_id"], status=rules.policy.templates.status_label(ticket["status"], lang),
                category=rules.category_name(ticket["category_code"], lang),
                url=rules.policy.tracking_url(ticket["tracking_id"]),
            )
        return IntakeOutcome("command", message_id, None, ticket["tracking_id"])
    # reopen
    return _reopen(conn, item, rules, now, reporter, message_id, ticket, command)


def reopen_refusal(ticket: RowMapping, reporter_id: int, now: datetime, window_days: float) -> str | None:
    """Why a citizen may not reopen ``ticket`` now, or None if they may."""
    if ticket["reporter_id"] != reporter_id:
        return "not_reporter"
    if ticket["status"] != Status.SELESAI.value:
        return "not_done"
    if ticket["resolved_at"] is None or now - ticket["resolved_at"] > timedelta(days=window_days):
        return "window_passed"
    return None


def _reopen(
    conn: Connection, item: PreparedInbound, rules: IntakeRules, now: datetime, reporter: RowMapping,
    message_id: int, ticket: RowMapping, command: CitizenCommand,
) -> IntakeOutcome:
    msg = item.msg
    refusal = reopen_refusal(ticket, reporter["id"], now, rules.config.intake.reopen_window_days)
    if refusal is None:
        try:
            transition(conn, rules.policy, now, ticket, Status.PROSES.value, "citizen", reopen=True,
                       reason=command.text or None)
            return IntakeOutcome("command", message_id, ticket["id"], ticket["tracking_id"])
        except TransitionError as exc:  # pragma: no cover - guarded by reopen_refusal
            refusal = exc.why
    if msg.auto_reply:
        lang = reporter["language"] or rules.config.instance.default_language
        reply_direct(conn, rules, now, reporter, msg, "reopen_refused", automatic=True,
                      tracking_id=ticket["tracking_id"],
                      why=rules.policy.templates.render(f"reopen_why_{refusal}", lang, days=int(rules.config.intake.reopen_window_days))
                      if refusal in ("not_reporter", "not_done", "window_passed") else refusal)
    return IntakeOutcome("command", message_id, None, ticket["tracking_id"])
