"""Staff words: internal notes (``catatan``), replies to the citizen (``balas``)
and counter reports typed by an officer (``baru``).

Mixed into ``StaffEngine``.
"""
from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bot.models import InboundMessage
from bot.outbox import notify_reporter
from bot.staff import notify
from bot.staff.commands import StaffCommand
from bot.staff.directory import StaffMember
from bot.staff.proof import ProofPhoto
from store import repo

log = logging.getLogger(__name__)


class MessageHandlers:
    """``catatan``, ``balas`` and ``baru``."""

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
