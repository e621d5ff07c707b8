"""The SPF/DKIM/DMARC line of the staff ``lihat`` view for tickets opened by email.

Officers should know whether the mail that opened a ticket really came from
the address it names (a trusted relay's Authentication-Results, stored by the
email adapter in the message's ``reply_context["auth"]``).
"""
from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import Connection

from store import inbound as inbound_store
from store import repo


def email_auth_line(conn: Connection, ticket: Any, render: Callable[..., str]) -> str:
    """"\\n" + the line for an email ticket, "" for any other channel."""
    if ticket["channel"] != "email":
        return ""
    raw = inbound_store.first_reply_context(conn, ticket["id"])
    auth = (repo.loads(raw) or {}).get("auth") or {}
    if not auth.get("checked"):
        return "\n" + render("staff_email_auth_unchecked")
    verdict = render("staff_email_auth_verified" if auth.get("verified") else "staff_email_auth_unverified")
    dkim = auth.get("dkim") or "-"
    if auth.get("dkim_domain"):
        dkim += f" ({str(auth['dkim_domain'])[:80]})"
    return "\n" + render("staff_email_auth", spf=auth.get("spf") or "-", dkim=dkim, dmarc=auth.get("dmarc") or "-",
                         verdict=verdict)
