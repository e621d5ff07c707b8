"""Staff workflow commands: assignment, routing, status changes, proof and deadlines.

``ambil``, ``koordinasi``, ``disposisi``, ``proses``, ``selesai`` (and the
thread ``foto`` it relies on), ``validasi``, ``tolak-tl``, ``tolak`` and
``perpanjang``. Mixed into ``StaffEngine``; status changes go through
``bot.tickets.transition`` so the citizen is told on their own channel.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from bot.events import ProofSubmitted
from bot.lifecycle import CLOSED_STATUSES, Status, check_transition
from bot.outbox import enqueue
from bot.staff import notify
from bot.staff.commands import StaffCommand
from bot.staff.directory import StaffMember
from bot.staff.proof import PROOF, REJECTED, STAFF_PHOTO, ProofPhoto, add_attachment, find_reuse, latest_attachment
from bot.tickets import transition
from store import repo


class WorkflowHandlers:
    """``ambil`` ... ``perpanjang``: the ticket moves or its deadline does."""

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
        # Officers' desks flag a reused proof in the ticket's thread.
        self.policy.events.publish(conn, now, ProofSubmitted(t, aid, member.actor, tuple(flags)))
        if flags:
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

    def _do_perpanjang(self, conn: Connection, member: StaffMember, cmd: StaffCommand, t: Any, now: datetime,
                       photo: ProofPhoto | None, lang: str, origin: str) -> str:
        closed = self._open_or_refuse(t, lang)
        if closed:
            return closed
        hours = float(cmd.hours or 0)
        # On the configured SLA clock: in working-hours mode 8 hours is one working day.
        old, new = t["resolve_due"], self.policy.sla.clock.add(t["resolve_due"], hours)
        repo.update_ticket(conn, t["id"], resolve_due=new, updated_at=now)
        repo.add_event(conn, t["id"], "deadline_extended", member.actor, now, reason=cmd.text,
                       data={"hours": hours, "from": old, "to": new, "via": origin})
        tl = self._thread_lang(conn, t["id"])
        self._post(conn, now, t["id"], "staff_post_extended", tracking_id=t["tracking_id"],
                   actor=notify.actor_label(conn, member.actor, self.templates, tl), hours=f"{hours:g}",
                   resolve_due=self._time(new), reason=cmd.text)
        return self.render(lang, "staff_ok_extend", tracking_id=t["tracking_id"], hours=f"{hours:g}",
                           resolve_due=self._time(new))
