"""The officers' commands: authorise, act, audit and notify, one transaction each.

Channel-neutral: Slack and the Telegram staff group both call
``StaffEngine.execute(member, command, origin=...)`` and show the text it
returns. Every action is checked against the staff directory (role and
scope; a refusal says why, and a refusal on a ticket is itself audited) and
recorded as a TicketEvent with actor ``staff:<code>``. Status changes go
through ``bot.tickets.transition`` so the citizen is told on their own
channel; nothing else an officer types reaches a citizen except ``balas``.
"""
from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import Connection, and_, or_, select, update

from bot.clock import Clock
from bot.config import AppConfig
from bot.lifecycle import CLOSED_STATUSES, OPEN_STATUSES, Status, TransitionError, check_transition
from bot.models import InboundMessage
from bot.outbox import OutboxPolicy, enqueue, notify_reporter
from bot.refdata import slugify
from bot.staff import notify
from bot.staff.commands import ENGLISH, CommandSyntaxError, StaffCommand
from bot.staff.directory import Refusal, StaffDirectory, StaffMember
from bot.staff.proof import PROOF, REJECTED, STAFF_PHOTO, PhotoError, ProofPhoto, ProofStore, add_attachment, find_reuse, latest_attachment
from bot.templates import TemplateError, Templates
from bot.tickets import transition
from store import repo
from store.db import Database

log = logging.getLogger(__name__)

LIST_LIMIT = 20
TIMELINE = 10


class StaffEngine:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        config: AppConfig,
        templates: Templates,
        policy: OutboxPolicy,
        directory: StaffDirectory,
        proofs: ProofStore,
        intake: Any,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.templates = templates
        self.policy = policy
        self.directory = directory
        self.proofs = proofs
        self.intake = intake
        self.wake = wake
        self.prefix = config.instance.tracking_prefix
        self.timezone = config.instance.timezone
        self.categories = {c.code: c for c in config.categories}

    # -- texts -----------------------------------------------------------

    def language(self, member: StaffMember | None) -> str:
        return self.templates.language((member.language if member else None) or self.config.instance.default_language)

    def render(self, lang: str, key: str, **fields: Any) -> str:
        return self.templates.render(key, lang, **fields)

    def _has(self, key: str) -> bool:
        try:
            self.templates.render(key, None)
        except TemplateError as exc:
            return "has no value" in str(exc)
        return True

    def command_name(self, name: str, lang: str) -> str:
        return ENGLISH.get(name, name) if lang == "en" else name

    def help(self, lang: str) -> str:
        return self.render(lang, "staff_help")

    def usage(self, lang: str, command: str) -> str:
        key = f"staff_usage_{command.replace('-', '_')}"
        return self.render(lang, key) if self._has(key) else self.help(lang)

    def syntax_error(self, member: StaffMember | None, err: CommandSyntaxError) -> str:
        """What a malformed command gets: the reason and the usage of that command."""
        lang = self.language(member)
        if err.key == "staff_unknown_command":
            return self.render(lang, "staff_unknown_command", **err.fields) + "\n" + self.help(lang)
        usage = self.usage(lang, err.command) if err.command else self.help(lang)
        if err.key == "staff_usage_error":
            return usage
        return self.render(lang, err.key, **err.fields) + "\n" + usage

    def refusal(self, lang: str, refusal: Refusal) -> str:
        fields = dict(refusal.fields)
        if "command" in fields:
            fields["command"] = self.command_name(fields["command"], lang)
        return self.render(lang, refusal.key, **fields)

    def unknown_user(self) -> str:
        return self.render(self.config.instance.default_language, "staff_unknown_user")

    def _label(self, status: str, lang: str) -> str:
        return self.templates.status_label(status, lang)

    def _category(self, code: str, lang: str) -> str:
        c = self.categories.get(code)
        return (c.name_en if lang == "en" else c.name_id) if c else code

    def _agency(self, code: str | None) -> str:
        return self.directory.agency_names.get(code or "", code or "-")

    def _time(self, value: datetime | None) -> str:
        return notify.fmt_time(value, self.timezone)

    def _thread_lang(self, conn: Connection, ticket_id: int) -> str:
        return notify.thread_language(conn, ticket_id) or self.config.instance.default_language

    def _post(self, conn: Connection, now: datetime, ticket_id: int, key: str, **fields: Any) -> None:
        """Add a line to the ticket's Slack thread, in the thread's language."""
        lang = notify.thread_language(conn, ticket_id)
        if lang is not None:
            notify.queue_staff_message(conn, now, ticket_id, self.render(lang, key, **fields))

    # -- entry point -----------------------------------------------------

    async def execute(self, member: StaffMember, cmd: StaffCommand, *, origin: str,
                      photo: bytes | None = None, photo_error: str | None = None) -> str:
        """Run one command for ``member``; returns the text to show them. Never raises."""
        lang = self.language(member)
        if cmd.name == "bantuan":
            return self.help(lang)
        try:
            refusal = self.directory.may_run(member, cmd.name)
            if cmd.name == "daftar":
                if refusal:
                    return self.refusal(lang, refusal)
                return await self.db.read(self._list, member, cmd, self.clock.now(), lang)
            if cmd.name == "baru":
                if refusal:
                    return self.refusal(lang, refusal)
                return await self._new_report(member, cmd, origin, lang)
            stored: ProofPhoto | None = None
            if cmd.name in ("selesai", "foto") and refusal is None and (photo is not None or cmd.url or photo_error):
                # Fetch only for someone allowed to act on this ticket.
                ticket = await self.db.read(repo.ticket_by_tracking_id, cmd.tracking_id)
                if ticket is not None and self.directory.may_touch(member, ticket) is None:
                    if photo_error:
                        return self.render(lang, photo_error)
                    if photo is None and cmd.url:
                        photo = await self.proofs.fetch_url(cmd.url)
                    if photo is not None:
                        stored = await self.proofs.store(photo)
            return await self.db.write(self._apply, member, cmd, self.clock.now(), stored, lang, origin)
        except PhotoError as exc:
            return self.render(lang, exc.key)
        except TransitionError as exc:
            return self.render(lang, "staff_bad_status", tracking_id=cmd.tracking_id or "",
                               status=self._label(str(exc.from_status), lang),
                               command=self.command_name(cmd.name, lang))
        except Exception:  # noqa: BLE001 - an officer gets an answer, never a stack trace
            log.exception("staff command %s by %s failed", cmd.name, member.code)
            return self.render(lang, "staff_error")
        finally:
            self.wake()

    def _apply(self, conn: Connection, member: StaffMember, cmd: StaffCommand, now: datetime,
               photo: ProofPhoto | None, lang: str, origin: str) -> str:
        ticket = repo.ticket_by_tracking_id(conn, cmd.tracking_id or "")
        if ticket is None:
            return self.render(lang, "staff_not_found", tracking_id=cmd.tracking_id)
        refusal = self.directory.may_run(member, cmd.name) or self.directory.may_touch(member, ticket)
        if refusal is not None:
            # A refused attempt is part of the audit trail too.
            repo.add_event(conn, ticket["id"], "staff_denied", member.actor, now,
                           data={"command": cmd.name, "why": refusal.key, "via": origin})
            return self.refusal(lang, refusal)
        handler = getattr(self, "_do_" + cmd.name.replace("-", "_"))
        return handler(conn, member, cmd, ticket, now, photo, lang, origin)

    # -- reading ---------------------------------------------------------

    def _do_lihat(self, conn: Connection, member: StaffMember, cmd: StaffCommand, t: Any, now: datetime,
                  photo: ProofPhoto | None, lang: str, origin: str) -> str:
        A = repo.T_ATTACHMENT
        reporter = repo.get_reporter(conn, t["reporter_id"])
        photos = conn.execute(select(A.c.kind).where(A.c.ticket_id == t["id"])).scalars().all()
        assignee = conn.execute(select(notify.T_ASSIGN.c.staff_code)
                                .where(notify.T_ASSIGN.c.ticket_id == t["id"])).scalar()
        open_ = t["status"] in OPEN_STATUSES
        lines = []
        for e in repo.events_for(conn, t["id"])[-TIMELINE:]:
            what = e["kind"]
            if e["kind"] in ("status", "reopen", "created") and e["to_status"]:
                what = self._label(e["to_status"], lang)
            elif self._has(f"staff_kind_{e['kind']}"):
                what = self.render(lang, f"staff_kind_{e['kind']}")
            reason = e["reason"] or ""
            if reason and not e["actor"].startswith("staff:"):
                reason = notify.identity_redact(reason, reporter)
            lines.append(self.render(lang, "staff_timeline_line", at=self._time(e["created_at"]), what=what,
                                     actor=notify.actor_label(conn, e["actor"], self.templates, lang),
                                     reason=f": {reason[:200]}" if reason else ""))
        proof = latest_attachment(conn, t["id"], PROOF)
        flags = find_reuse(conn, t["id"], proof["sha256"], proof["phash"], self.proofs.threshold) if proof else []
        late = self.render(lang, "staff_overdue_mark")
        text = self.render(
            lang, "staff_view",
            tracking_id=t["tracking_id"], status=self._label(t["status"], lang),
            category=self._category(t["category_code"], lang),
            area=notify.area_label(conn, t["area_code"]),
            agency=self._agency(t["agency_code"]) + (f" / {self._agency(t['unit'])}" if t["unit"] else ""),
            assignee=self._staff_label(assignee) if assignee else "-",
            created=self._time(t["created_at"]), channel=t["channel"],
            coordinate_due=self._time(t["coordinate_due"]) + (
                late if open_ and t["coordinated_at"] is None and t["coordinate_due"] < now else ""),
            resolve_due=self._time(t["resolve_due"]) + (late if open_ and t["resolve_due"] < now else ""),
            photos=sum(1 for k in photos if k == "citizen"),
            proof=self.render(lang, "staff_proof_yes") if proof else "-",
            description=notify.identity_redact(t["description"], reporter)[:notify.MAX_DESCRIPTION],
            timeline="\n".join(lines) or "-",
        )
        if flags:
            text += "\n" + self.render(lang, "staff_reuse_warning", matches=self._matches(flags, lang))
        # Officers must know when updates cannot reach the citizen (STOP, blocked bot, bounces).
        if reporter is not None and reporter["opted_out"]:
            text += "\n" + self.render(lang, "staff_reporter_opted_out")
        elif reporter is not None and reporter["unreachable"]:
            text += "\n" + self.render(lang, "staff_reporter_unreachable")
        return text

    def _staff_label(self, code: str) -> str:
        m = self.directory.members.get(code)
        return f"{m.name} ({code})" if m else code

    def _matches(self, flags: list[dict[str, Any]], lang: str) -> str:
        parts = []
        for f in flags[:5]:
            key = {"identical": "staff_match_identical", "similar": "staff_match_similar",
                   "citizen_photo": "staff_match_citizen"}[f["match"]]
            parts.append(self.render(lang, key, tracking_id=f["tracking_id"], distance=f["distance"]))
        return "; ".join(parts)

    def _list(self, conn: Connection, member: StaffMember, cmd: StaffCommand, now: datetime, lang: str) -> str:
        T = repo.T_TICKET
        q = select(T.c.tracking_id, T.c.status, T.c.category_code, T.c.area_code, T.c.resolve_due,
                   T.c.coordinate_due, T.c.coordinated_at)
        scope = self.directory.scope_filter(member)
        if scope is not None:
            agencies, areas = scope
            conds = []
            if agencies:
                conds += [T.c.agency_code.in_(sorted(agencies)), T.c.unit.in_(sorted(agencies))]
            if areas:
                conds.append(T.c.area_code.in_(sorted(areas)))
            if not conds:
                return self.refusal(lang, Refusal("staff_denied_no_scope"))
            q = q.where(or_(*conds))
        f = cmd.filters
        open_values = sorted(s.value for s in OPEN_STATUSES)
        if "status" in f:
            q = q.where(T.c.status == f["status"])
        else:
            q = q.where(T.c.status.in_(open_values))
        if "overdue" in f:
            q = q.where(T.c.status.in_(open_values), or_(
                T.c.resolve_due < now, and_(T.c.coordinated_at.is_(None), T.c.coordinate_due < now)))
        if "area" in f:
            codes = self._area_codes(f["area"])
            if not codes:
                return self.render(lang, "staff_bad_area", given=f["area"][:40]) + "\n" + self.usage(lang, "daftar")
            q = q.where(T.c.area_code.in_(sorted(codes)))
        if "category" in f:
            code = f["category"].lower()
            if code not in self.categories:
                return self.render(lang, "staff_bad_category", given=f["category"][:40],
                                   known=", ".join(sorted(self.categories)))
            q = q.where(T.c.category_code == code)
        if "agency" in f:
            agency = self.directory.agency_code(f["agency"])
            if agency is None:
                return self.render(lang, "staff_unknown_agency", given=f["agency"][:40],
                                   known=", ".join(sorted(self.directory.agency_parent)))
            family = sorted(self.directory.agency_descendants(agency))
            q = q.where(or_(T.c.agency_code.in_(family), T.c.unit.in_(family)))
        if "mine" in f:
            A = notify.T_ASSIGN
            q = q.where(T.c.id.in_(select(A.c.ticket_id).where(A.c.staff_code == member.code)))
        rows = list(conn.execute(q.order_by(T.c.resolve_due, T.c.id).limit(LIST_LIMIT + 1)).mappings())
        if not rows:
            return self.render(lang, "staff_list_empty")
        late = self.render(lang, "staff_overdue_mark")
        lines = [self.render(lang, "staff_list_header", count=min(len(rows), LIST_LIMIT))]
        for r in rows[:LIST_LIMIT]:
            overdue = r["status"] in OPEN_STATUSES and (
                r["resolve_due"] < now or (r["coordinated_at"] is None and r["coordinate_due"] < now))
            lines.append(self.render(lang, "staff_list_row", tracking_id=r["tracking_id"],
                                     status=self._label(r["status"], lang),
                                     category=self._category(r["category_code"], lang),
                                     area=self.directory.area_name(r["area_code"]),
                                     resolve_due=self._time(r["resolve_due"]), overdue=late if overdue else ""))
        if len(rows) > LIST_LIMIT:
            lines.append(self.render(lang, "staff_list_more", limit=LIST_LIMIT))
        return "\n".join(lines)

    def _area_codes(self, given: str) -> set[str]:
        if given in self.directory.areas:
            return self.directory.area_descendants(given)
        slug = slugify(given.replace("_", " "))
        hits = [a.code for a in self.directory.areas.values() if slugify(a.name) == slug]
        if len(hits) != 1:
            return set()
        return self.directory.area_descendants(hits[0])

    # -- acting ----------------------------------------------------------

    def _open_or_refuse(self, t: Any, lang: str) -> str | None:
        if t["status"] in CLOSED_STATUSES:
            return self.render(lang, "staff_closed", tracking_id=t["tracking_id"], status=self._label(t["status"], lang))
        return None

    def _do_ambil(self, conn: Connection, member: StaffMember, cmd: StaffCommand, t: Any, now: datetime,
                  photo: ProofPhoto | None, lang: str, origin: str) -> str:
        closed = self._open_or_refuse(t, lang)
        if closed:
            return closed
        A = notify.T_ASSIGN
        previous = conn.execute(select(A.c.staff_code).where(A.c.ticket_id == t["id"])).scalar()
        if previous is None:
            conn.execute(A.insert().values(ticket_id=t["id"], staff_code=member.code, assigned_at=now))
        else:
            conn.execute(update(A).where(A.c.ticket_id == t["id"]).values(staff_code=member.code, assigned_at=now))
        repo.add_event(conn, t["id"], "assigned", member.actor, now, data={"staff": member.code, "previous": previous,
                                                                          "via": origin})
        tl = self._thread_lang(conn, t["id"])
        self._post(conn, now, t["id"], "staff_post_assigned", tracking_id=t["tracking_id"],
                   actor=notify.actor_label(conn, member.actor, self.templates, tl))
        return self.render(lang, "staff_ok_take", tracking_id=t["tracking_id"])

    def _handoff(self, conn: Connection, now: datetime, t: Any, agency: str | None, unit: str | None) -> None:
        """A ticket moved to an agency with its own channel: tell that channel too."""
        routing = notify.staff_routing(self.config)
        row = notify.thread_row(conn, t["id"])
        if routing is None or row is None:
            return
        channel = routing.channel_for({"agency_code": agency, "unit": unit, "area_code": t["area_code"]})
        if not channel or channel == row["channel"]:
            return
        lang = row["language"]
        text = self.render(lang, "staff_post_handoff", tracking_id=t["tracking_id"],
                           agency=self._agency(unit or agency), category=self._category(t["category_code"], lang),
                           area=notify.area_label(conn, t["area_code"]),
                           resolve_due=self._time(t["resolve_due"]),
                           description=notify.identity_redact(t["description"], repo.get_reporter(conn, t["reporter_id"]))
                           [:notify.MAX_DESCRIPTION])
        enqueue(conn, now, channel=notify.CHANNEL, recipient=channel, text=text, kind="staff_handoff",
                ticket_id=t["id"], reply_context={"ticket_id": t["id"], "top_level": True})

    def _do_koordinasi(self, conn: Connection, member: StaffMember, cmd: StaffCommand, t: Any, now: datetime,
                       photo: ProofPhoto | None, lang: str, origin: str) -> str:
        agency = self.directory.agency_code(cmd.target or "")
        if agency is None:
            return self.render(lang, "staff_unknown_agency", given=(cmd.target or "")[:40],
                               known=", ".join(sorted(self.directory.agency_parent)))
        updated = transition(conn, self.policy, now, t, Status.KOORDINASI.value, member.actor,
                             reason=self._agency(agency), data={"agency": agency, "via": origin},
                             agency_code=agency, unit=None)
        self._handoff(conn, now, updated, agency, None)
        return self.render(lang, "staff_ok_coordinate", tracking_id=t["tracking_id"], agency=self._agency(agency))

    def _do_disposisi(self, conn: Connection, member: StaffMember, cmd: StaffCommand, t: Any, now: datetime,
                      photo: ProofPhoto | None, lang: str, origin: str) -> str:
        parent = t["agency_code"]
        unit = self.directory.agency_code(cmd.target or "")
        units = sorted(c for c in self.directory.agency_parent
                       if parent and c != parent and self.directory.agency_within(c, parent))
        if not parent or unit is None or unit not in units:
            return self.render(lang, "staff_bad_unit", given=(cmd.target or "")[:40],
                               agency=self._agency(parent), known=", ".join(units) or "-")
        updated = transition(conn, self.policy, now, t, Status.DISPOSISI.value, member.actor,
                             reason=self._agency(unit), data={"unit": unit, "via": origin}, unit=unit)
        self._handoff(conn, now, updated, parent, unit)
        return self.render(lang, "staff_ok_dispose", tracking_id=t["tracking_id"], unit=self._agency(unit))

    def _do_proses(self, conn: Connection, member: StaffMember, cmd: StaffCommand, t: Any, now: datetime,
                   photo: ProofPhoto | None, lang: str, origin: str) -> str:
        transition(conn, self.policy, now, t, Status.PROSES.value, member.actor, data={"via": origin})
        return self.render(lang, "staff_ok_process", tracking_id=t["tracking_id"])

    def _do_selesai(self, conn: Connection, member: StaffMember, cmd: StaffCommand, t: Any, now: datetime,
                    photo: ProofPhoto | None, lang: str, origin: str) -> str:
        check_transition(t["status"], Status.MENUNGGU_VALIDASI.value)
        if photo is not None:
            aid = add_attachment(conn, photo, t["id"], PROOF, now)
            sha, phash = photo.media.sha256, photo.phash
        else:
            shared = latest_attachment(conn, t["id"], STAFF_PHOTO)
            if shared is None:
                return self.render(lang, "staff_no_proof", tracking_id=t["tracking_id"])
            conn.execute(update(repo.T_ATTACHMENT).where(repo.T_ATTACHMENT.c.id == shared["id"]).values(kind=PROOF))
            aid, sha, phash = shared["id"], shared["sha256"], shared["phash"]
        flags = find_reuse(conn, t["id"], sha, phash, self.proofs.threshold)
        transition(conn, self.policy, now, t, Status.MENUNGGU_VALIDASI.value, member.actor,
                   reason=cmd.text or None, data={"attachment_id": aid, "reuse": flags or None, "via": origin})
        answer = self.render(lang, "staff_ok_done", tracking_id=t["tracking_id"])
        if flags:
            repo.add_event(conn, t["id"], "proof_reuse", "system", now,
                           data={"attachment_id": aid, "submitted_by": member.code, "matches": flags})
            tl = self._thread_lang(conn, t["id"])
            self._post(conn, now, t["id"], "staff_post_proof_reuse", tracking_id=t["tracking_id"],
                       matches=self._matches(flags, tl))
            answer += "\n" + self.render(lang, "staff_reuse_warning", matches=self._matches(flags, lang))
        return answer

    def _do_foto(self, conn: Connection, member: StaffMember, cmd: StaffCommand, t: Any, now: datetime,
                 photo: ProofPhoto | None, lang: str, origin: str) -> str:
        """A photo an officer shared in the ticket's thread: kept for ``selesai``; the thread is told."""
        if photo is None:
            return self.render(lang, "staff_photo_download_failed")
        aid = add_attachment(conn, photo, t["id"], STAFF_PHOTO, now)
        repo.add_event(conn, t["id"], "staff_photo", member.actor, now, data={"attachment_id": aid, "via": origin})
        tl = self._thread_lang(conn, t["id"])
        self._post(conn, now, t["id"], "staff_post_photo", tracking_id=t["tracking_id"],
                   actor=notify.actor_label(conn, member.actor, self.templates, tl))
        return ""

    async def add_photo(self, member: StaffMember, tracking_id: str, content: bytes, *, origin: str) -> str:
        """Keep a photo shared in a ticket's thread; returns a text for the thread ("" when the post says it)."""
        return await self.execute(member, StaffCommand("foto", tracking_id), origin=origin, photo=content)

    def _proof_submitter(self, conn: Connection, ticket_id: int) -> str | None:
        E = repo.T_EVENT
        return conn.execute(select(E.c.actor).where(E.c.ticket_id == ticket_id,
                                                    E.c.to_status == Status.MENUNGGU_VALIDASI.value)
                            .order_by(E.c.id.desc()).limit(1)).scalar()

    def _do_validasi(self, conn: Connection, member: StaffMember, cmd: StaffCommand, t: Any, now: datetime,
                     photo: ProofPhoto | None, lang: str, origin: str) -> str:
        check_transition(t["status"], Status.SELESAI.value)
        proof = latest_attachment(conn, t["id"], PROOF)
        if proof is None:
            return self.render(lang, "staff_no_proof_to_validate", tracking_id=t["tracking_id"])
        if self._proof_submitter(conn, t["id"]) == member.actor:
            repo.add_event(conn, t["id"], "staff_denied", member.actor, now,
                           data={"command": cmd.name, "why": "staff_denied_own_proof", "via": origin})
            return self.render(lang, "staff_denied_own_proof", tracking_id=t["tracking_id"])
        flags = find_reuse(conn, t["id"], proof["sha256"], proof["phash"], self.proofs.threshold)
        if flags and not cmd.force:
            repo.add_event(conn, t["id"], "validation_held", member.actor, now,
                           data={"attachment_id": proof["id"], "matches": flags, "via": origin})
            return self.render(lang, "staff_validate_flagged", tracking_id=t["tracking_id"],
                               matches=self._matches(flags, lang))
        transition(conn, self.policy, now, t, Status.SELESAI.value, member.actor, attachment_id=proof["id"],
                   data={"attachment_id": proof["id"], "forced": bool(flags), "reuse": flags or None, "via": origin})
        return self.render(lang, "staff_ok_validate", tracking_id=t["tracking_id"])

    def _do_tolak_tl(self, conn: Connection, member: StaffMember, cmd: StaffCommand, t: Any, now: datetime,
                     photo: ProofPhoto | None, lang: str, origin: str) -> str:
        transition(conn, self.policy, now, t, Status.TL_DITOLAK.value, member.actor, reason=cmd.text,
                   data={"via": origin})
        # A rejected proof is no longer public and is never validated later.
        A = repo.T_ATTACHMENT
        conn.execute(update(A).where(A.c.ticket_id == t["id"], A.c.kind == PROOF).values(kind=REJECTED))
        return self.render(lang, "staff_ok_reject_proof", tracking_id=t["tracking_id"])

    def _do_tolak(self, conn: Connection, member: StaffMember, cmd: StaffCommand, t: Any, now: datetime,
                  photo: ProofPhoto | None, lang: str, origin: str) -> str:
        transition(conn, self.policy, now, t, Status.DITOLAK.value, member.actor, reason=cmd.text,
                   data={"via": origin})
        return self.render(lang, "staff_ok_reject", tracking_id=t["tracking_id"])

    def _do_catatan(self, conn: Connection, member: StaffMember, cmd: StaffCommand, t: Any, now: datetime,
                    photo: ProofPhoto | None, lang: str, origin: str) -> str:
        # Internal: never public, never sent to the citizen.
        repo.add_event(conn, t["id"], "staff_note", member.actor, now, reason=cmd.text, public=False,
                       data={"via": origin})
        tl = self._thread_lang(conn, t["id"])
        self._post(conn, now, t["id"], "staff_post_note", tracking_id=t["tracking_id"],
                   actor=notify.actor_label(conn, member.actor, self.templates, tl), text=cmd.text)
        return self.render(lang, "staff_ok_note", tracking_id=t["tracking_id"])

    def _do_balas(self, conn: Connection, member: StaffMember, cmd: StaffCommand, t: Any, now: datetime,
                  photo: ProofPhoto | None, lang: str, origin: str) -> str:
        # The only way an officer's words reach a citizen.
        mid = notify_reporter(conn, self.policy, now, t, "staff_reply", kind="staff_reply", text=cmd.text)
        repo.add_event(conn, t["id"], "staff_reply", member.actor, now, reason=cmd.text, public=False,
                       data={"message_id": mid, "via": origin})
        tl = self._thread_lang(conn, t["id"])
        self._post(conn, now, t["id"], "staff_post_reply", tracking_id=t["tracking_id"],
                   actor=notify.actor_label(conn, member.actor, self.templates, tl), text=cmd.text)
        if mid is None:
            return self.render(lang, "staff_reply_unreachable", tracking_id=t["tracking_id"])
        return self.render(lang, "staff_ok_reply", tracking_id=t["tracking_id"])

    def _do_perpanjang(self, conn: Connection, member: StaffMember, cmd: StaffCommand, t: Any, now: datetime,
                       photo: ProofPhoto | None, lang: str, origin: str) -> str:
        closed = self._open_or_refuse(t, lang)
        if closed:
            return closed
        hours = float(cmd.hours or 0)
        # On the configured SLA clock: in working-hours mode 8 hours is one working day.
        from bot.sla import extended_due

        old, new = t["resolve_due"], extended_due(self.policy, t["resolve_due"], hours)
        repo.update_ticket(conn, t["id"], resolve_due=new, updated_at=now)
        repo.add_event(conn, t["id"], "deadline_extended", member.actor, now, reason=cmd.text,
                       data={"hours": hours, "from": old, "to": new, "via": origin})
        tl = self._thread_lang(conn, t["id"])
        self._post(conn, now, t["id"], "staff_post_extended", tracking_id=t["tracking_id"],
                   actor=notify.actor_label(conn, member.actor, self.templates, tl), hours=f"{hours:g}",
                   resolve_due=self._time(new), reason=cmd.text)
        return self.render(lang, "staff_ok_extend", tracking_id=t["tracking_id"], hours=f"{hours:g}",
                           resolve_due=self._time(new))

    # -- counter reports -------------------------------------------------

    async def _new_report(self, member: StaffMember, cmd: StaffCommand, origin: str, lang: str) -> str:
        """A walk-in, letter or phone report typed by an officer: the normal intake pipeline."""
        assert cmd.contact and cmd.contact_channel
        msg = InboundMessage(
            channel=cmd.contact_channel, external_id=f"staff:{member.code}:{uuid.uuid4().hex}", sender=cmd.contact,
            text=cmd.text, standalone=True, auto_reply=True,
            raw=json.dumps({"counter_report_by": member.code, "via": origin}),
        )
        (outcome,) = await self.intake.submit([msg])
        if outcome.action != "new_ticket" or outcome.ticket_id is None:
            log.warning("counter report by %s did not open a ticket (%s)", member.code, outcome.action)
            return self.render(lang, "staff_error")
        now = self.clock.now()

        def audit(conn: Connection) -> None:
            repo.add_event(conn, outcome.ticket_id, "counter_report", member.actor, now,
                           data={"via": origin, "channel": cmd.contact_channel})
            tl = self._thread_lang(conn, outcome.ticket_id)
            self._post(conn, now, outcome.ticket_id, "staff_post_counter_report", tracking_id=outcome.tracking_id,
                       actor=notify.actor_label(conn, member.actor, self.templates, tl),
                       channel=self.render(tl, f"staff_contact_{cmd.contact_channel}"))

        await self.db.write(audit)
        return self.render(lang, "staff_ok_new", tracking_id=outcome.tracking_id,
                           channel=self.render(lang, f"staff_contact_{cmd.contact_channel}"),
                           contact=mask_contact(cmd.contact))


def mask_contact(contact: str) -> str:
    """"+62812****789" / "a***@mail.id": enough for the officer to check, not to read out."""
    if "@" in contact:
        local, _, domain = contact.partition("@")
        return f"{local[:1]}***@{domain}"
    return contact[:6] + "****" + contact[-3:]
