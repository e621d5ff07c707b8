"""The intake pipeline: one inbound message, one database transaction.

Order: store the message idempotently (UNIQUE channel+direction+external id),
thread it, categorise, route, set SLA deadlines, queue the reply. Citizen
commands (status, help, reopen, stop/start, language) are answered too, on
every channel (``bot.intake_commands``); the data types are ``bot.intake_types``.
"""
from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping

from bot import duplicates, followers, intake_threads, tracking_draw
from bot.categorize import Categorizer  # noqa: F401 - re-exported (tests patch it here)
from bot.commands import CitizenCommand, parse_citizen_command
from bot.events import CitizenWrote, TicketCreated
from bot.intake_commands import reopen_refusal, reply_direct, run_command  # noqa: F401 - reopen_refusal re-exported (bot.web.pages)
from bot.intake_email import opens_ticket_without_reply, window_ticket
from bot.intake_types import IntakeOutcome, IntakeRules, PreparedInbound  # noqa: F401 - re-exported
from bot.lifecycle import OPEN_STATUSES, Status
from bot.models import InboundMessage
from bot.outbox import notify_reporter
from bot import ratings
from bot.textnorm import MATCH_CHARS
from bot.routing import APPROXIMATE_METHODS, OFFICER_PLACED
from bot.tracking import new_tracking_id
from store import inbound as inbound_store
from store import repo

log = logging.getLogger(__name__)
PIXELS_REFUSED = "photo_too_many_pixels"  # a media error code from the intake service's photo check


_KEPT_FIELDS = [f for f in InboundMessage.__dataclass_fields__
                if f not in ("attachments", "raw", "reply_context", "thread_refs", "received_at")]


def normalized_json(item: PreparedInbound) -> dict[str, Any]:
    """The normalised message, kept so a failed message can be retried."""
    m = item.msg
    data = {f: getattr(m, f) for f in _KEPT_FIELDS}
    data["reply_context"] = dict(m.reply_context)
    data["thread_refs"] = list(m.thread_refs)
    data["received_at"] = item.msg.received_at.isoformat() if item.msg.received_at else None
    data["media"] = [{"sha256": m.sha256, "content_type": m.content_type, "size": m.size, "path": str(m.path)}
                     for m in item.media]
    data["media_errors"] = item.media_errors
    return data


_INBOUND_KEY = ("channel", "direction", "external_id")
_PREFETCHED = "intake_prefetched"
_FIRST_WORDS = "intake_first_words"
_REDELIVERED = "intake_redelivered"


def _inbound_row(item: PreparedInbound, now: datetime) -> dict[str, Any]:
    msg = item.msg
    reply_context = dict(msg.reply_context)
    if item.media_errors:
        reply_context["media_errors"] = item.media_errors
    return dict(channel=msg.channel, direction="in", external_id=msg.external_id, kind="report", text=msg.text or "",
                status="received", reply_context=repo.dumps(reply_context), raw=msg.raw,
                payload=repo.dumps(normalized_json(item)), created_at=now, updated_at=now)


def prefetch(conn: Connection, items: list[PreparedInbound], now: datetime, prefix: str) -> None:
    """The first two statements of every message of a group commit, as one statement each.

    One multi-row INSERT stores every inbound row (a repeated provider id is inserted once,
    for its first message: the others are redeliveries), one multi-row upsert finds or makes
    their reporters. On PostgreSQL that is two round trips per group instead of two per
    message. Redeliveries of messages stored earlier are read with one statement too (none when
    the group has none). A reporter who wrote several messages of the group gets the prefetched row on
    the first only; the next ones read it again, after the first may have changed it. The group's
    tracking IDs are drawn and checked free in one statement (bot/tracking_draw.py), and the tickets its
    thread references and quoted IDs name are read ahead (bot/intake_threads.py).
    ``process_inbound`` takes what is prefetched for its item; ``forget_prefetched`` ends it.
    """
    duplicates.forget_queued(conn)  # left by a transaction that failed on this connection
    intake_threads.prefetch(conn, [i.msg for i in items], prefix)  # before the group writes: no flush per mail
    ids = repo.insert_ignore_many(conn, repo.T_MESSAGE, [_inbound_row(i, now) for i in items], _INBOUND_KEY)
    inserted = set(ids)
    message_ids: list[int | None] = [ids.pop((i.msg.channel, "in", i.msg.external_id), None) for i in items]
    # Redeliveries of messages stored before this group: read together (a repeat within the group is
    # answered from the group's own outcome instead).
    conn.info[_REDELIVERED] = inbound_store.by_external_ids(conn, [
        (i.msg.channel, i.msg.external_id) for i in items if (i.msg.channel, "in", i.msg.external_id) not in inserted])
    first_of: dict[tuple[str, str], int] = {}
    for n, (item, mid) in enumerate(zip(items, message_ids)):
        if mid is not None:
            first_of.setdefault((item.msg.channel, item.msg.sender), n)
    reporters = repo.get_or_create_reporters(conn, [
        dict(channel=items[n].msg.channel, address=items[n].msg.sender, display_name=items[n].msg.sender_name,
             language=items[n].msg.language) for n in first_of.values()], now)
    chosen = {n: reporters[key] for key, n in first_of.items()}
    conn.info[_PREFETCHED] = {id(item): (mid, chosen[n][0] if n in chosen else None)
                              for n, (item, mid) in enumerate(zip(items, message_ids))}
    # A reporter this group created has no ticket and no earlier message: the lookups by
    # reporter (thread window, a location shared just before) are empty for its first message.
    conn.info[_FIRST_WORDS] = {id(items[n]) for n, (_, created) in chosen.items() if created}
    tracking_draw.draw(conn, prefix, len(items))  # at most one new ticket per message


def forget_prefetched(conn: Connection) -> None:
    conn.info.pop(_PREFETCHED, None)
    tracking_draw.forget(conn)
    conn.info.pop(_REDELIVERED, None)
    intake_threads.forget(conn)
    conn.info.pop(_FIRST_WORDS, None)
    duplicates.forget_queued(conn)


def _first_words(conn: Connection, item: PreparedInbound) -> bool:
    """The reporter's very first message (prefetch created the reporter for it)."""
    return id(item) in conn.info.get(_FIRST_WORDS, ())


def process_inbound(conn: Connection, item: PreparedInbound, rules: IntakeRules, now: datetime) -> IntakeOutcome:
    """Run the whole pipeline for one message inside the caller's transaction."""
    msg = item.msg
    if _PREFETCHED not in conn.info:  # one message, not a group: nothing queued may be left from a failed one
        duplicates.forget_queued(conn)
    prefetched: tuple[int | None, RowMapping | None] | None = conn.info.get(_PREFETCHED, {}).pop(id(item), None)
    if prefetched is None:
        message_id = repo.insert_ignore(conn, repo.T_MESSAGE, _inbound_row(item, now), _INBOUND_KEY)
        reporter = None
    else:
        message_id, reporter = prefetched
    if message_id is None:
        return _redelivery(conn, msg, now)

    if reporter is None:
        reporter = repo.get_or_create_reporter(conn, msg.channel, msg.sender, now, msg.sender_name, msg.language)
    if reporter["unreachable"] or (msg.language and not reporter["language"]):
        # Anyone who writes to us is reachable again on this channel.
        repo.update_reporter(conn, reporter["id"], now, unreachable=False, unreachable_reason=None,
                             language=reporter["language"] or msg.language)
        reporter = repo.reread_reporter(conn, reporter["id"])

    if msg.is_location_only:
        outcome = _location(conn, item, rules, now, reporter, message_id)
    else:
        # A structured report (partner app, web form) is a report by construction;
        # chat-style commands (CEK, BUKA...) only come from conversational channels.
        command = CitizenCommand("report", text=msg.text or "") if msg.standalone \
            else parse_citizen_command(msg.text or "", prefix=rules.prefix)
        rated = ratings.take(conn, item, rules, now, reporter, message_id)  # "4 cepat" after SELESAI
        if rated is not None:
            outcome = rated
        elif command.kind == "report":
            outcome = _report(conn, item, rules, now, reporter, message_id, command)
        else:
            outcome = run_command(conn, item, rules, now, reporter, message_id, command)
    if msg.auto_reply and any(e.startswith(PIXELS_REFUSED) for e in item.media_errors):
        # An image bomb was refused before decoding: tell the citizen why their photo is missing.
        reply_direct(conn, rules, now, reporter, msg, "photo_too_many_pixels", automatic=True,
                      megapixels=max(1, rules.config.media.max_pixels // 1_000_000))
    kind = "location" if outcome.action == "location" and outcome.ticket_id is None else (
        "command" if outcome.action == "command" else "rating" if outcome.action == "rating" else "automatic" if outcome.action == "automatic" else "report")
    # The message row is marked processed by the caller, batched (see mark_processed);
    # until then a duplicate in the same batch finds its outcome here.
    outcome = dataclasses.replace(outcome, reporter_id=reporter["id"], kind=kind)
    conn.info.setdefault("intake_batch", {})[(msg.channel, msg.external_id)] = outcome
    return outcome


def mark_processed(conn: Connection, outcomes: list[IntakeOutcome]) -> None:
    """One executemany UPDATE for a whole batch of processed messages."""
    conn.info.pop("intake_batch", None)
    rows = [{"_id": o.message_id, "status": "processed", "reporter_id": o.reporter_id, "ticket_id": o.ticket_id,
             "kind": o.kind} for o in outcomes if o.kind is not None and o.message_id is not None]
    if rows:
        inbound_store.mark_processed(conn, rows)


def _redelivery(conn: Connection, msg: InboundMessage, now: datetime) -> IntakeOutcome:
    """The same provider message again: an edit updates it, a duplicate does nothing."""
    pending = conn.info.get("intake_batch", {}).get((msg.channel, msg.external_id))
    if pending is not None and not msg.is_edit:
        return IntakeOutcome("duplicate", pending.message_id, pending.ticket_id, pending.tracking_id, duplicate=True)
    stored = conn.info.get(_REDELIVERED, {}).get((msg.channel, msg.external_id))
    if stored is not None and not msg.is_edit:  # read ahead by ``prefetch``
        return IntakeOutcome("duplicate", stored["id"], stored["ticket_id"], stored["tracking_id"], duplicate=True)
    row = inbound_store.by_external_id(conn, msg.channel, msg.external_id)
    ticket = repo.ticket_by_id(conn, row["ticket_id"]) if row["ticket_id"] else None
    tracking_id = ticket["tracking_id"] if ticket else None
    if msg.is_edit and (msg.text or "") != row["text"]:
        inbound_store.set_text(conn, row["id"], msg.text or "", now)
        if ticket is not None:
            repo.add_event(conn, ticket["id"], "edited", "citizen", now, data={"message_id": row["id"]})
            if ticket["description"] == row["text"]:
                repo.update_ticket(conn, ticket["id"], description=msg.text or "", updated_at=now)
        return IntakeOutcome("edited", row["id"], row["ticket_id"], tracking_id)
    return IntakeOutcome("duplicate", row["id"], row["ticket_id"], tracking_id, duplicate=True)


def _attach_media(conn: Connection, item: PreparedInbound, ticket_id: int, message_id: int, now: datetime) -> None:
    for m in item.media:
        repo.insert_later(conn, repo.T_ATTACHMENT, dict(sha256=m.sha256, content_type=m.content_type, size=m.size,
                                                        kind="citizen", ticket_id=ticket_id, message_id=message_id,
                                                        created_at=now))


def _report(
    conn: Connection, item: PreparedInbound, rules: IntakeRules, now: datetime, reporter: RowMapping,
    message_id: int, command: CitizenCommand,
) -> IntakeOutcome:
    msg = item.msg
    text = (command.text or "").strip()
    # 1. Threading: a quoted tracking ID, then provider thread references,
    #    then the reporter's open ticket on this channel within the window.
    ticket = None
    if msg.follows:
        followed = repo.ticket_by_tracking_id(conn, msg.follows)
        if followed is not None and followed["status"] in OPEN_STATUSES and followed["merged_into_id"] is None:
            return _follow(conn, item, rules, now, reporter, message_id, followed, text)
    for quoted in intake_threads.quoted_tracking_ids(conn, msg, rules.prefix):
        ticket = intake_threads.ticket_by_tracking_id(conn, quoted)
        if ticket is not None:
            break
    if ticket is None and msg.thread_refs:
        tid = intake_threads.ticket_for(conn, msg)
        ticket = intake_threads.ticket_row(conn, tid) if tid else None
    if ticket is None and not msg.standalone and not _first_words(conn, item):
        window = now - timedelta(minutes=rules.config.intake.thread_window_minutes)
        ticket = window_ticket(conn, msg, reporter["id"], window, OPEN_STATUSES)
    if ticket is not None:
        return _append(conn, item, rules, now, reporter, message_id, ticket, text)
    if not msg.auto_reply and not msg.follows and not opens_ticket_without_reply(msg):
        # Machine-sent mail (out-of-office, newsletters, bounces' cousins) never
        # opens a ticket; it is kept as a message for inspection. (A web form's "follow" of a closed
        # report, sent without a contact, is a citizen's report: it opens one.)
        return IntakeOutcome("automatic", message_id)
    if not text and not item.media:
        if msg.auto_reply:
            reply_direct(conn, rules, now, reporter, msg, "empty_report", automatic=True)
        return IntakeOutcome("command", message_id)
    return _new_ticket(conn, item, rules, now, reporter, message_id, text)


def _new_ticket(
    conn: Connection, item: PreparedInbound, rules: IntakeRules, now: datetime, reporter: RowMapping,
    message_id: int, text: str,
) -> IntakeOutcome:
    msg = item.msg
    lat, lon = msg.latitude, msg.longitude
    if lat is None and not msg.standalone and not _first_words(conn, item):
        lat, lon = _recent_location(conn, rules, now, reporter["id"])
    category = rules.categorizer.categorize(text[:MATCH_CHARS])
    cat = rules.categories.get(category)
    area = rules.resolver.resolve(text[:MATCH_CHARS], lat, lon)
    due = rules.policy.sla.new_ticket(now, cat)  # the configured SLA clock, category overrides
    lang = reporter["language"] or rules.config.instance.default_language
    values = dict(
        status=Status.MENUNGGU.value, channel=msg.channel, source=msg.source or msg.channel, reporter_id=reporter["id"], category_code=category,
        agency_code=cat.agency if cat else None, area_code=area.code if area else None,
        area_method=area.method if area else None, latitude=lat, longitude=lon, description=text,
        language=lang, created_at=now, updated_at=now, last_inbound_at=now,
        coordinate_due=due.coordinate_due, resolve_due=due.resolve_due, reopen_count=0,
        geo_cell=duplicates.cell_of(lat, lon) if lat is not None and lon is not None else None,
    )
    tracking_id = tracking_draw.take(conn, rules.prefix)  # drawn with the group's, checked free (group commit)
    ticket_id = repo.insert_ticket_later(conn, dict(values, tracking_id=tracking_id))  # in a group commit
    while ticket_id is None:  # outside a group commit the insert checks the ID: a taken one is drawn again
        ticket_id = repo.insert_ticket(conn, dict(values, tracking_id=tracking_id))
        tracking_id = tracking_id if ticket_id is not None else new_tracking_id(rules.prefix)
    repo.add_event(conn, ticket_id, "created", "citizen", now, to_status=Status.MENUNGGU.value, public=True,
                   data={"channel": msg.channel, "category": category, "area": area.code if area else None})
    _attach_media(conn, item, ticket_id, message_id, now)
    ticket = dict(values, id=ticket_id, tracking_id=tracking_id)  # no re-read on the hot path
    # Its own ticket and ack either way; officers see the link in ``lihat`` and may ``gabung``.
    duplicates.queue_new_ticket(conn, rules.config.duplicates, ticket, now)
    # Officers hear of it through the subscribers (e.g. its agency's Slack channel).
    rules.policy.events.publish(conn, now, TicketCreated(ticket, photos=len(item.media)))
    if msg.auto_reply:
        notify_reporter(conn, rules.policy, now, ticket, "ack_new", kind="ack", reporter=reporter, automatic=True,
                        reply_context=msg.reply_context, category=rules.category_name(category, lang))
    return IntakeOutcome("new_ticket", message_id, ticket_id, tracking_id)


def _append(
    conn: Connection, item: PreparedInbound, rules: IntakeRules, now: datetime, reporter: RowMapping,
    message_id: int, ticket: RowMapping, text: str,
) -> IntakeOutcome:
    msg = item.msg
    is_reporter = ticket["reporter_id"] == reporter["id"] and msg.auto_reply
    # Someone else writing about a ticket is a note; they never become the reporter.
    kind = "message" if is_reporter else "note"
    actor = "citizen" if is_reporter else (f"auto:{msg.channel}" if not msg.auto_reply else f"third_party:{msg.channel}")
    repo.add_event(conn, ticket["id"], kind, actor, now,
                   reason=text or None, data={"message_id": message_id})
    _attach_media(conn, item, ticket["id"], message_id, now)
    if msg.auto_reply:  # officers see follow-ups (e.g. in the ticket's Slack thread), not auto-replies
        rules.policy.events.publish(conn, now, CitizenWrote(ticket, text, from_reporter=is_reporter,
                                                            photos=len(item.media)))
    if is_reporter:
        repo.update_ticket(conn, ticket["id"], last_inbound_at=now, updated_at=now)
        if msg.latitude is not None and msg.longitude is not None and ticket["latitude"] is None:
            _set_location(conn, rules, now, ticket, msg.latitude, msg.longitude)
    if msg.auto_reply:
        if is_reporter:
            # The acknowledgement answers THIS message (email In-Reply-To), not the ticket's first one.
            notify_reporter(conn, rules.policy, now, ticket, "ack_appended", kind="ack", reporter=reporter,
                            automatic=True, reply_context=msg.reply_context)
        else:
            reply_direct(conn, rules, now, reporter, msg, "note_received", automatic=True,
                          tracking_id=ticket["tracking_id"])
    return IntakeOutcome("appended" if is_reporter else "note", message_id, ticket["id"], ticket["tracking_id"])


def _follow(
    conn: Connection, item: PreparedInbound, rules: IntakeRules, now: datetime, reporter: RowMapping,
    message_id: int, ticket: RowMapping, text: str,
) -> IntakeOutcome:
    """"The same report": no new ticket; the text and photo are a note on it, the sender a follower."""
    msg = item.msg
    repo.add_event(conn, ticket["id"], "note", f"follower:{msg.channel}", now, reason=text or None,
                   data={"message_id": message_id, "follow": True})
    _attach_media(conn, item, ticket["id"], message_id, now)
    rules.policy.events.publish(conn, now, CitizenWrote(ticket, text, from_reporter=False, photos=len(item.media)))
    if msg.auto_reply:  # a sender who gave no contact (auto_reply False) cannot be told anything later either
        followers.follow(conn, ticket, reporter["id"], "follow", now)
        followers.notify_as_follower(conn, rules.policy, now, ticket, reporter, "follow_ack", kind="ack",
                                     automatic=True, reply_context=msg.reply_context)
    return IntakeOutcome("followed", message_id, ticket["id"], ticket["tracking_id"])


def _recent_location(conn: Connection, rules: IntakeRules, now: datetime, reporter_id: int) -> tuple[float | None, float | None]:
    """A location the reporter shared just before describing the problem."""
    since = now - timedelta(minutes=rules.config.intake.location_window_minutes)
    raw = inbound_store.recent_location_payload(conn, reporter_id, since)
    data = repo.loads(raw) or {}
    return data.get("latitude"), data.get("longitude")


def _set_location(conn: Connection, rules: IntakeRules, now: datetime, ticket: RowMapping, lat: float, lon: float) -> None:
    values: dict[str, Any] = dict(latitude=lat, longitude=lon, geo_cell=duplicates.cell_of(lat, lon), updated_at=now)
    if ticket["area_method"] not in ("coordinates", OFFICER_PLACED):  # a polygon or an officer's word stands
        area = rules.resolver.resolve(ticket["description"], lat, lon)
        # A polygon beats anything; an approximate placement (nearest centre, needs placing) gives way.
        if area is not None and (area.method == "coordinates" or ticket["area_code"] is None
                                 or ticket["area_method"] in APPROXIMATE_METHODS):
            values.update(area_code=area.code, area_method=area.method)
    repo.update_ticket(conn, ticket["id"], **values)
    repo.add_event(conn, ticket["id"], "location", "citizen", now, data={"area": values.get("area_code")})


def _location(
    conn: Connection, item: PreparedInbound, rules: IntakeRules, now: datetime, reporter: RowMapping, message_id: int
) -> IntakeOutcome:
    msg = item.msg
    since = now - timedelta(minutes=rules.config.intake.location_window_minutes)
    ticket = repo.latest_open_ticket(conn, reporter["id"], OPEN_STATUSES, since)
    lat, lon = msg.latitude, msg.longitude  # adapters flag a message location-only with both set
    if ticket is not None and ticket["channel"] == msg.channel and lat is not None and lon is not None:
        _set_location(conn, rules, now, ticket, lat, lon)
        if msg.auto_reply:
            notify_reporter(conn, rules.policy, now, ticket, "location_received", kind="ack", reporter=reporter,
                            automatic=True)
        return IntakeOutcome("location", message_id, ticket["id"], ticket["tracking_id"])
    if msg.auto_reply:
        reply_direct(conn, rules, now, reporter, msg, "location_orphan", automatic=True)
    return IntakeOutcome("location", message_id)
