"""Parsing what an officer typed after ``/aduan`` into a ``StaffCommand``.

The command's declaration names its grammar (``GRAMMARS``); the grammars
share the helpers here. Parsing never touches the database; a mistake raises
``CommandSyntaxError`` naming the template that explains it.
"""
from __future__ import annotations

import html
import re
from typing import Callable

from bot.lifecycle import Status
from bot.phones import sms_e164
from bot.staff.commands.base import CommandSyntaxError, StaffCommand
from bot.tracking import normalize

MAX_TEXT = 2000
MAX_EXTEND_HOURS = 720.0

_URL = re.compile(r"^https?://\S+$", re.I)
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,190}\.[A-Za-z]{2,24}$")
_FLAGS_OVERDUE = {"overdue", "terlambat", "lewat"}
_FLAGS_MINE = {"saya", "mine", "me"}
_FILTER_KEYS = {"status": "status", "area": "area", "wilayah": "area", "category": "category",
                "kategori": "category", "agency": "agency", "instansi": "agency"}


def unslack(token: str) -> str:
    """Undo Slack's auto-formatting of a token: <https://x|x>, <mailto:a@b|a@b>, <tel:..|..>."""
    if token.startswith("<") and token.endswith(">"):
        inner = token[1:-1]
        target, _, label = inner.partition("|")
        if target.startswith("mailto:"):
            return target[len("mailto:"):]
        if target.startswith("tel:"):
            return label or target[len("tel:"):]
        return target
    return token


def _unquote(text: str) -> str:
    text = text.strip()
    for a, b in (('"', '"'), ("'", "'"), ("\u201c", "\u201d")):
        if len(text) >= 2 and text.startswith(a) and text.endswith(b):
            return text[1:-1].strip()
    return text


def normalize_phone(token: str) -> str | None:
    """E.164 of a number that can get SMS, by the same rule as the web form (bot/phones.py).

    Officers also type an Indonesian mobile without its trunk 0 ("812..."): that is read as 0812...
    """
    bare = re.sub(r"[\s\-.()]", "", token)
    return sms_e164("0" + bare if bare[:1] == "8" and bare.isdigit() else token)


def parse_contact(token: str) -> tuple[str, str] | None:
    """(address, channel) of a counter report's citizen: ("+628..", "sms"), ("+628..", "whatsapp") for
    ``wa:0812..``, ("a@b.id", "email"), or ("", "none") for ``-`` (the citizen wants no updates)."""
    token = unslack(token.strip())
    if token == "-":
        return "", "none"
    head, sep, rest = token.partition(":")
    if sep and head.lower() in ("wa", "whatsapp"):
        phone = normalize_phone(rest)
        return (phone, "whatsapp") if phone else None
    if "@" in token:
        if not _EMAIL.match(token):
            return None
        local, _, domain = token.rpartition("@")
        return f"{local}@{domain.lower()}", "email"
    phone = normalize_phone(token)
    return (phone, "sms") if phone else None


# Where a report typed by an officer came in (ticket.source): five of the CRM's official channels and a
# phone call. A counter report whose origin is not given is recorded as ``COUNTER``.
ORIGINS = ("kantor_kelurahan", "kantor_kecamatan", "surat_gubernur", "pendopo_balai_kota", "kantor_inspektorat",
           "telepon")
COUNTER = "counter"


def parse_origin(value: str) -> str | None:
    wanted = value.strip().lower().replace("-", "_").replace(" ", "_")
    return wanted if wanted in ORIGINS else None


def parse_hours(token: str) -> float | None:
    token = token.strip().lower().rstrip("jh").replace(",", ".")
    if token.endswith("jam"):
        token = token[:-3]
    try:
        hours = float(token)
    except ValueError:
        return None
    return hours if 0 < hours <= MAX_EXTEND_HOURS and hours == hours else None


def parse_status(value: str) -> str | None:
    wanted = value.strip().upper().replace("-", "_").replace(" ", "_")
    return wanted if wanted in Status.__members__ else None


def parse_staff_command(text: str, *, prefix: str = "JKT") -> StaffCommand:
    """One command from what an officer typed after ``/aduan`` (or after ``/<subcommand>``)."""
    from bot.staff.commands.catalog import ALIASES, BY_NAME

    # NUL cannot be stored in PostgreSQL text; control characters are never meant.
    text = html.unescape(text or "").replace("\x00", "").strip()
    if not text:
        return StaffCommand("bantuan")
    head, _, rest = text.partition(" ")
    name = ALIASES.get(head.lower().rstrip(":"))
    if name is None:
        raise CommandSyntaxError("staff_unknown_command", given=head[:40])
    grammar = BY_NAME[name].grammar
    rest = rest.strip()
    if grammar in _WITHOUT_ID:
        return _WITHOUT_ID[grammar](name, rest)
    # Every other command starts with a ticket's tracking ID.
    id_token, _, rest = rest.partition(" ")
    if not id_token:
        raise CommandSyntaxError("staff_usage_error", name)
    tracking_id = normalize(unslack(id_token), prefix)
    if tracking_id is None:
        raise CommandSyntaxError("staff_invalid_id", name, given=id_token[:40])
    rest = rest.strip()
    if len(rest) > MAX_TEXT:
        raise CommandSyntaxError("staff_text_too_long", name, max=MAX_TEXT)
    return _WITH_ID[grammar](name, tracking_id, rest)


# --- grammars without a ticket ---------------------------------------------------

def _none(name: str, rest: str) -> StaffCommand:
    return StaffCommand(name)


def _filters(name: str, rest: str) -> StaffCommand:
    filters: dict[str, str] = {}
    for token in rest.split():
        low = token.lower()
        if low in _FLAGS_OVERDUE:
            filters["overdue"] = "1"
            continue
        if low in _FLAGS_MINE:
            filters["mine"] = "1"
            continue
        key, sep, value = token.partition("=")
        canonical = _FILTER_KEYS.get(key.lower())
        if not sep or canonical is None or not value:
            raise CommandSyntaxError("staff_bad_filter", name, given=token[:40])
        if canonical == "status":
            status = parse_status(value)
            if status is None:
                raise CommandSyntaxError("staff_bad_filter", name, given=token[:40])
            value = status
        filters[canonical] = value
    return StaffCommand(name, filters=filters)


def _contact_text(name: str, rest: str) -> StaffCommand:
    contact_token, _, text = rest.partition(" ")
    source = None
    first, _, after = text.strip().partition(" ")
    key, sep, value = first.partition("=")
    if sep and key.lower() in ("asal", "from"):
        source = parse_origin(value)
        if source is None:
            raise CommandSyntaxError("staff_bad_origin", name, given=value[:40], known=", ".join(ORIGINS))
        text = after
    text = _unquote(text)
    if not contact_token or not text:
        raise CommandSyntaxError("staff_usage_error", name)
    if len(text) > MAX_TEXT:
        raise CommandSyntaxError("staff_text_too_long", name, max=MAX_TEXT)
    contact = parse_contact(contact_token)
    if contact is None:
        raise CommandSyntaxError("staff_bad_contact", name)
    return StaffCommand(name, text=text, contact=contact[0], contact_channel=contact[1], source=source)


# --- grammars after a tracking ID --------------------------------------------------

def _id(name: str, tid: str, rest: str) -> StaffCommand:
    return StaffCommand(name, tid)


def _id_text(name: str, tid: str, rest: str) -> StaffCommand:
    if not rest:
        raise CommandSyntaxError("staff_usage_error", name)
    return StaffCommand(name, tid, text=rest)


def _id_target(name: str, tid: str, rest: str) -> StaffCommand:
    target, _, extra = rest.partition(" ")
    if not target:
        raise CommandSyntaxError("staff_usage_error", name)
    return StaffCommand(name, tid, target=target.strip(), text=extra.strip())


def _id_url_text(name: str, tid: str, rest: str) -> StaffCommand:
    first, _, after = rest.partition(" ")
    first = unslack(first)
    if _URL.match(first):
        return StaffCommand(name, tid, url=first, text=after.strip())
    return StaffCommand(name, tid, text=rest)


def _id_force(name: str, tid: str, rest: str) -> StaffCommand:
    return StaffCommand(name, tid, force=rest.lower() in ("paksa", "force"))


def _id_hours_text(name: str, tid: str, rest: str) -> StaffCommand:
    hours_token, _, reason = rest.partition(" ")
    if not hours_token or not reason.strip():
        raise CommandSyntaxError("staff_usage_error", name)
    hours = parse_hours(hours_token)
    if hours is None:
        raise CommandSyntaxError("staff_bad_hours", name, given=hours_token[:20], max=int(MAX_EXTEND_HOURS))
    return StaffCommand(name, tid, hours=hours, text=reason.strip())


_WITHOUT_ID: dict[str, Callable[[str, str], StaffCommand]] = {
    "none": _none, "filters": _filters, "contact_text": _contact_text}
_WITH_ID: dict[str, Callable[[str, str, str], StaffCommand]] = {
    "id": _id, "id_text": _id_text, "id_target": _id_target, "id_url_text": _id_url_text,
    "id_force": _id_force, "id_hours_text": _id_hours_text}
GRAMMARS = frozenset(_WITHOUT_ID) | frozenset(_WITH_ID)
