"""Ticket threads in Slack, queued through the outbox (channel "slack").

A new ticket is posted to its agency's channel (``agencies[].slack_channel``,
a sub-unit falls back to its parent's), else its area's
(``channels.slack.area_channels``), else ``channels.slack.default_channel``;
that post starts the ticket's thread (``staff_thread``). Every later event is
added to the thread, written in the same transaction as the change, so it is
retried like any other message. The Slack adapter looks the thread up when it
sends (``resolve_thread``) and records it after the first post (``record_root``).

What officers read here never names the reporter: texts are redacted
(``bot.redact``: phones, IDs, emails, the reporter's names and address).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from adapters.contract.rows import RowLike
from bot.config import AppConfig
from bot.outbox import enqueue
from bot.redact import Identity, redact
from bot.templates import Templates
from store import repo
from store import staff as staff_store
from store.staff import T_ASSIGN, T_DEDUP, T_THREAD  # noqa: F401 - re-exported (tests, older callers)

CHANNEL = "slack"
ROOT_KIND = "staff_ticket"
PENDING = "pending"  # == adapters.slack.PENDING (kept import-free of adapters here)
MAX_DESCRIPTION = 1500


@dataclass(frozen=True)
class StaffRouting:
    """Where a ticket's staff posts go, read once from config."""

    default_channel: str | None
    supervisor_channel: str | None
    area_channels: dict[str, str]
    agency_channels: dict[str, str]
    agency_supervisors: dict[str, str]
    agency_parent: dict[str, str | None]
    agency_names: dict[str, str]
    category_names: dict[str, tuple[str, str]]
    language: str
    timezone: str

    def _agency_chain(self, agency: str | None) -> list[str]:
        chain: list[str] = []
        while agency and agency not in chain and len(chain) < 10:
            chain.append(agency)
            agency = self.agency_parent.get(agency)
        return chain

    def channel_for(self, ticket: RowLike) -> str | None:
        for code in self._agency_chain(ticket.get("unit")) + self._agency_chain(ticket.get("agency_code")):
            if code in self.agency_channels:
                return self.agency_channels[code]
        area = ticket.get("area_code")
        while area:
            if area in self.area_channels:
                return self.area_channels[area]
            area = area.rsplit(".", 1)[0] if "." in area else None
        return self.default_channel

    def supervisor_for(self, ticket: RowLike) -> str | None:
        for code in self._agency_chain(ticket.get("agency_code")):
            if code in self.agency_supervisors:
                return self.agency_supervisors[code]
        return self.supervisor_channel

    def category_name(self, code: str, lang: str) -> str:
        names = self.category_names.get(code)
        return (names[1] if lang == "en" else names[0]) if names else code


_ROUTING: dict[int, tuple[AppConfig, StaffRouting | None]] = {}


def staff_routing(config: AppConfig) -> StaffRouting | None:
    """The staff routing of ``config``, or None when Slack is not enabled (cached per config)."""
    hit = _ROUTING.get(id(config))
    if hit is not None and hit[0] is config:
        return hit[1]
    routing = _build_routing(config)
    if len(_ROUTING) > 64:
        _ROUTING.clear()
    _ROUTING[id(config)] = (config, routing)
    return routing


def _build_routing(config: AppConfig) -> StaffRouting | None:
    settings = config.channel_settings("slack")  # validated once, when the config was loaded
    if settings is None:
        return None
    return StaffRouting(
        default_channel=settings.default_channel,
        supervisor_channel=settings.supervisor_channel,
        area_channels=dict(settings.area_channels),
        agency_channels={a.code: a.slack_channel for a in config.agencies if a.slack_channel},
        agency_supervisors={a.code: a.supervisor_slack_channel for a in config.agencies if a.supervisor_slack_channel},
        agency_parent={a.code: a.parent for a in config.agencies},
        agency_names={a.code: a.name for a in config.agencies},
        category_names={c.code: (c.name_id, c.name_en) for c in config.categories},
        language=settings.language,
        timezone=config.instance.timezone,
    )


# --- texts officers read ------------------------------------------------------

def identity_redact(text: str, reporter: RowLike | None) -> str:
    """``bot.redact.redact`` with the reporter's own names and address: officers never see who reported."""
    return redact(text or "", Identity.of(reporter))


def fmt_time(value: datetime | None, timezone: str = "Asia/Jakarta") -> str:
    if value is None:
        return "-"
    try:
        tz = ZoneInfo(timezone)
    except Exception:  # noqa: BLE001 - a bad zone name must not block a notification
        tz = ZoneInfo("Asia/Jakarta")
    local = value.astimezone(tz)
    return f"{local:%d-%m-%Y %H:%M} {local.tzname() or ''}".strip()


def actor_label(conn: Connection, actor: str, templates: Templates, lang: str) -> str:
    """"Budi (budi-dlh)" for a staff actor, "pelapor" for the citizen, never a reporter's identity."""
    if actor.startswith("staff:"):
        code = actor[len("staff:"):]
        name = staff_store.staff_name(conn, code)
        return f"{name} ({code})" if name else code
    if actor == "citizen":
        return templates.render("staff_actor_citizen", lang)
    if actor.startswith("follower:"):  # "Ini laporan yang sama" on /lapor (bot.intake._follow)
        return templates.render("staff_actor_follower", lang)
    if actor.startswith("third_party:") or actor.startswith("auto:"):
        return templates.render("staff_actor_third_party", lang)
    return templates.render("staff_actor_system", lang)


def area_label(conn: Connection, code: str | None) -> str:
    """"Bangka, Mampang Prapatan, Kota Administrasi Jakarta Selatan" (one query)."""
    if not code:
        return "-"
    parts = code.split(".")
    codes = [".".join(parts[:i]) for i in range(len(parts), 1, -1)]
    names = staff_store.area_names(conn, codes)
    chain = [names[c] for c in codes if c in names]
    return ", ".join(chain) if chain else code


# --- the thread ---------------------------------------------------------------

thread_row = staff_store.thread_row
thread_language = staff_store.thread_language
record_root = staff_store.record_root
claim = staff_store.claim


def resolve_thread(conn: Connection, ticket_id: int, now: datetime) -> tuple[str, str] | str | None:
    """(channel, thread_ts) of a ticket's thread; PENDING while its first post is queued; else None."""
    row = thread_row(conn, ticket_id)
    if row is None:
        return None
    if row["thread_ts"]:
        return row["channel"], row["thread_ts"]
    root = staff_store.latest_root_post(conn, CHANNEL, ticket_id, ROOT_KIND)
    if root is None:
        return None
    if root["status"] in ("queued", "sending"):
        return PENDING
    if root["status"] in ("sent", "delivered") and root["external_id"] and ":" in root["external_id"]:
        channel, ts = root["external_id"].split(":", 1)
        record_root(conn, ticket_id, channel, ts, now)
        return channel, ts
    return None  # the first post failed for good: the next post starts the thread


def ticket_for_thread(conn: Connection, channel: str, thread_ts: str) -> int | None:
    """The ticket a Slack thread belongs to: its root, or any post of ours it replies to."""
    return staff_store.ticket_for_thread(conn, channel, thread_ts, CHANNEL)


def render_matches(templates: Templates, flags: Any, lang: str) -> str:
    """The proof-reuse flags as officers read them (at most five)."""
    keys = {"identical": "staff_match_identical", "similar": "staff_match_similar",
            "citizen_photo": "staff_match_citizen"}
    return "; ".join(templates.render(keys[f["match"]], lang, tracking_id=f["tracking_id"], distance=f["distance"])
                     for f in list(flags)[:5])


def queue_staff_message(conn: Connection, now: datetime, ticket_id: int, text: str, *,
                        escalate: bool = False, kind: str | None = None) -> int | None:
    """Queue ``text`` into the ticket's Slack thread (or, ``escalate``, its supervisor channel).

    For the SLA sweep and every staff-side event. Returns the outbox message id,
    or None when the ticket has no Slack thread (Slack not enabled when it was
    created). The text must already be safe for officers (no reporter identity).
    """
    row = thread_row(conn, ticket_id)
    if row is None:
        return None
    if escalate and row["supervisor_channel"]:
        return enqueue(conn, now, channel=CHANNEL, recipient=row["supervisor_channel"], text=text,
                       kind=kind or "staff_escalation", ticket_id=ticket_id,
                       reply_context={"ticket_id": ticket_id, "top_level": True})
    return enqueue(conn, now, channel=CHANNEL, recipient=row["channel"], text=text,
                   kind=kind or ("staff_escalation" if escalate else "staff_event"), ticket_id=ticket_id,
                   reply_context={"ticket_id": ticket_id})


def queue_thread_notice(conn: Connection, now: datetime, channel: str, thread_ts: str | None, text: str) -> int:
    """A notice into any Slack thread (e.g. why a shared photo was not taken)."""
    return enqueue(conn, now, channel=CHANNEL, recipient=channel, text=text, kind="staff_notice",
                   reply_context={"thread_ts": thread_ts} if thread_ts else {"top_level": True})


# --- event subscribers (wired in bot.staff.threads) -----------------------------------------------

def on_new_ticket(conn: Connection, routing: StaffRouting, templates: Templates, now: datetime,
                  ticket: RowLike, *, photos: int = 0) -> int | None:
    """Intake made a ticket: post it to its channel, starting its thread."""
    channel = routing.channel_for(ticket)
    if not channel:
        return None
    lang = routing.language
    staff_store.add_thread(conn, ticket["id"], channel, routing.supervisor_for(ticket), lang, now)
    reporter = repo.get_reporter(conn, ticket["reporter_id"])
    text = templates.render(
        "staff_post_new", lang,
        tracking_id=ticket["tracking_id"],
        status=templates.status_label(ticket["status"], lang),
        category=routing.category_name(ticket["category_code"], lang),
        area=area_label(conn, ticket.get("area_code")),
        agency=routing.agency_names.get(ticket.get("agency_code") or "", ticket.get("agency_code") or "-"),
        coordinate_due=fmt_time(ticket.get("coordinate_due"), routing.timezone),
        resolve_due=fmt_time(ticket.get("resolve_due"), routing.timezone),
        channel=ticket["channel"],
        photos=photos,
        description=identity_redact(ticket["description"], reporter)[:MAX_DESCRIPTION],
    )
    return enqueue(conn, now, channel=CHANNEL, recipient=channel, text=text, kind=ROOT_KIND, ticket_id=ticket["id"],
                   reply_context={"ticket_id": ticket["id"], "root": True})


def on_transition(conn: Connection, templates: Templates, now: datetime, before: RowLike,
                  after: RowLike, actor: str, reason: str | None, *, reopen: bool = False) -> int | None:
    """A status change (by anyone): add it to the ticket's thread."""
    lang = thread_language(conn, after["id"])
    if lang is None:
        return None
    if reason and not actor.startswith("staff:"):
        reason = identity_redact(reason, repo.get_reporter(conn, after["reporter_id"]))
    text = templates.render(
        "staff_post_reopen" if reopen else "staff_post_status", lang,
        tracking_id=after["tracking_id"],
        from_status=templates.status_label(before["status"], lang),
        status=templates.status_label(after["status"], lang),
        actor=actor_label(conn, actor, templates, lang),
        reason=f" - {reason}" if reason else "",
    )
    return queue_staff_message(conn, now, after["id"], text)


def on_citizen_message(conn: Connection, templates: Templates, now: datetime,
                       ticket: RowLike, text: str, *, from_reporter: bool, photos: int = 0) -> int | None:
    """A follow-up from the reporter (or information from someone else): add it to the thread."""
    lang = thread_language(conn, ticket["id"])
    if lang is None:
        return None
    reporter = repo.get_reporter(conn, ticket["reporter_id"])
    body = identity_redact(text or "", reporter)[:MAX_DESCRIPTION] or "-"
    message = templates.render("staff_post_citizen" if from_reporter else "staff_post_third_party", lang,
                               tracking_id=ticket["tracking_id"], text=body, photos=photos)
    return queue_staff_message(conn, now, ticket["id"], message)
