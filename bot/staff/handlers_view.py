"""Staff reading commands: ``lihat`` (one ticket in full) and ``daftar`` (tickets in scope).

Mixed into ``StaffEngine``; uses its rendering helpers and directory.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from bot.lifecycle import OPEN_STATUSES
from bot.refdata import slugify
from bot.staff import notify
from bot.staff.commands import StaffCommand
from bot.staff.directory import Refusal, StaffMember
from bot.staff.email_auth import email_auth_line
from bot.staff.proof import PROOF, ProofPhoto, find_reuse, latest_attachment
from bot.staff.scope import NoScope, ticket_scope
from store import repo

LIST_LIMIT = 20
TIMELINE = 10


class ViewHandlers:
    """``lihat`` and ``daftar``."""

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
        text += email_auth_line(conn, t, lambda key, **f: self.render(lang, key, **f))
        # Officers must know when updates cannot reach the citizen (STOP, blocked bot, bounces).
        if reporter is not None and reporter["opted_out"]:
            text += "\n" + self.render(lang, "staff_reporter_opted_out")
        elif reporter is not None and reporter["unreachable"]:
            text += "\n" + self.render(lang, "staff_reporter_unreachable")
        return text

    def _staff_label(self, code: str) -> str:
        m = self.directory.members.get(code)
        return f"{m.name} ({code})" if m else code

    def _list(self, conn: Connection, member: StaffMember, cmd: StaffCommand, now: datetime, lang: str) -> str:
        T = repo.T_TICKET
        q = select(T.c.tracking_id, T.c.status, T.c.category_code, T.c.area_code, T.c.resolve_due,
                   T.c.coordinate_due, T.c.coordinated_at)
        try:
            scope = ticket_scope(self.directory, member)
        except NoScope:
            return self.refusal(lang, Refusal("staff_denied_no_scope"))
        if scope is not None:
            q = q.where(scope)
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
