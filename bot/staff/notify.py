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
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, RowMapping, select, update

from bot.config import AppConfig
from bot.outbox import enqueue
from bot.redact import Identity, redact
from bot.templates import Templates
from store import repo
from store.tables import StaffAssignment, StaffDedup, StaffThread

T_THREAD = StaffThread.__table__  # type: ignore[attr-defined]
T_ASSIGN = StaffAssignment.__table__  # type: ignore[attr-defined]
T_DEDUP = StaffDedup.__table__  # type: ignore[attr-defined]

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

    def channel_for(self, ticket: Mapping[str, Any]) -> str | None:
        for code in self._agency_chain(ticket.get("unit")) + self._agency_chain(ticket.get("agency_code")):
            if code in self.agency_channels:
                return self.agency_channels[code]
        area = ticket.get("area_code")
        while area:
            if area in self.area_channels:
                return self.area_channels[area]
            area = area.rsplit(".", 1)[0] if "." in area else None
        return self.default_channel

    def supervisor_for(self, ticket: Mapping[str, Any]) -> str | None:
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

def identity_redact(text: str, reporter: Mapping[str, Any] | None) -> str:
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
        name = conn.execute(select(repo.T_STAFF.c.name).where(repo.T_STAFF.c.code == code)).scalar()
        return f"{name} ({code})" if name else code
    if actor == "citizen":
        return templates.render("staff_actor_citizen", lang)
    if actor.startswith("third_party:") or actor.startswith("auto:"):
        return templates.render("staff_actor_third_party", lang)
    return templates.render("staff_actor_system", lang)


def area_label(conn: Connection, code: str | None) -> str:
    """"Bangka, Mampang Prapatan, Kota Administrasi Jakarta Selatan" (one query)."""
    if not code:
        return "-"
    parts = code.split(".")
    codes = [".".join(parts[:i]) for i in range(len(parts), 1, -1)]
    names = dict(conn.execute(select(repo.T_AREA.c.code, repo.T_AREA.c.name)
                              .where(repo.T_AREA.c.code.in_(codes))).all())
    chain = [names[c] for c in codes if c in names]
    return ", ".join(chain) if chain else code


# --- the thread ---------------------------------------------------------------

def thread_row(conn: Connection, ticket_id: int) -> RowMapping | None:
    return conn.execute(select(T_THREAD).where(T_THREAD.c.ticket_id == ticket_id)).mappings().first()


def resolve_thread(conn: Connection, ticket_id: int, now: datetime) -> tuple[str, str] | str | None:
    """(channel, thread_ts) of a ticket's thread; PENDING while its first post is queued; else None."""
    row = thread_row(conn, ticket_id)
    if row is None:
        return None
    if row["thread_ts"]:
        return row["channel"], row["thread_ts"]
    M = repo.T_MESSAGE
    root = conn.execute(
        select(M.c.status, M.c.external_id)
        .where(M.c.channel == CHANNEL, M.c.direction == "out", M.c.ticket_id == ticket_id, M.c.kind == ROOT_KIND)
        .order_by(M.c.id.desc()).limit(1)
    ).mappings().first()
    if root is None:
        return None
    if root["status"] in ("queued", "sending"):
        return PENDING
    if root["status"] in ("sent", "delivered") and root["external_id"] and ":" in root["external_id"]:
        channel, ts = root["external_id"].split(":", 1)
        record_root(conn, ticket_id, channel, ts, now)
        return channel, ts
    return None  # the first post failed for good: the next post starts the thread


def record_root(conn: Connection, ticket_id: int, channel: str, ts: str, now: datetime) -> None:
    """Remember the post that starts a ticket's thread (first one wins)."""
    res = conn.execute(update(T_THREAD).where(T_THREAD.c.ticket_id == ticket_id, T_THREAD.c.thread_ts.is_(None))
                       .values(channel=channel, thread_ts=ts, updated_at=now))
    if res.rowcount == 0 and thread_row(conn, ticket_id) is None:
        conn.execute(T_THREAD.insert().values(ticket_id=ticket_id, channel=channel, thread_ts=ts,
                                              language="id", created_at=now, updated_at=now))


def ticket_for_thread(conn: Connection, channel: str, thread_ts: str) -> int | None:
    """The ticket a Slack thread belongs to: its root, or any post of ours it replies to."""
    found = conn.execute(select(T_THREAD.c.ticket_id)
                         .where(T_THREAD.c.channel == channel, T_THREAD.c.thread_ts == thread_ts)).scalar()
    if found is not None:
        return found
    M = repo.T_MESSAGE
    return conn.execute(select(M.c.ticket_id).where(
        M.c.channel == CHANNEL, M.c.direction == "out", M.c.external_id == f"{channel}:{thread_ts}",
        M.c.ticket_id.is_not(None)).limit(1)).scalar()


def thread_language(conn: Connection, ticket_id: int) -> str | None:
    return conn.execute(select(T_THREAD.c.language).where(T_THREAD.c.ticket_id == ticket_id)).scalar()


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


def claim(conn: Connection, key: str, now: datetime) -> bool:
    """True the first time ``key`` is seen (persisted: holds across restarts and processes)."""
    ins = (_dialect_insert(conn, T_DEDUP).values(key=key[:200], created_at=now)
           .on_conflict_do_nothing(index_elements=["key"]).returning(T_DEDUP.c.key))
    return conn.execute(ins).scalar() is not None


def _dialect_insert(conn: Connection, table: Any) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


# --- hooks called by the core -----------------------------------------------

def on_new_ticket(conn: Connection, config: AppConfig, templates: Templates, now: datetime,
                  ticket: Mapping[str, Any], *, photos: int = 0) -> int | None:
    """Intake made a ticket: post it to its channel, starting its thread."""
    routing = staff_routing(config)
    if routing is None:
        return None
    channel = routing.channel_for(ticket)
    if not channel:
        return None
    lang = routing.language
    conn.execute(T_THREAD.insert().values(
        ticket_id=ticket["id"], channel=channel, thread_ts=None, supervisor_channel=routing.supervisor_for(ticket),
        language=lang, created_at=now, updated_at=now))
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


def on_transition(conn: Connection, templates: Templates, now: datetime, before: Mapping[str, Any],
                  after: Mapping[str, Any], actor: str, reason: str | None, *, reopen: bool = False) -> int | None:
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


def on_citizen_message(conn: Connection, config: AppConfig, templates: Templates, now: datetime,
                       ticket: Mapping[str, Any], text: str, *, from_reporter: bool, photos: int = 0) -> int | None:
    """A follow-up from the reporter (or information from someone else): add it to the thread."""
    if staff_routing(config) is None:
        return None
    lang = thread_language(conn, ticket["id"])
    if lang is None:
        return None
    reporter = repo.get_reporter(conn, ticket["reporter_id"])
    body = identity_redact(text or "", reporter)[:MAX_DESCRIPTION] or "-"
    message = templates.render("staff_post_citizen" if from_reporter else "staff_post_third_party", lang,
                               tracking_id=ticket["tracking_id"], text=body, photos=photos)
    return queue_staff_message(conn, now, ticket["id"], message)
