"""The officers' command language, the same in Slack and Telegram.

One command, ``/aduan <subcommand> ...``, Indonesian subcommands with English
aliases::

    lihat|show <id>                         daftar|list [status=..] [overdue] [area=..] [category=..] [agency=..] [saya]
    ambil|take <id>                         koordinasi|coordinate <id> <agency>
    disposisi|dispatch <id> <unit>          proses|process <id>
    selesai|done <id> [photo-url] [note]    validasi|validate <id> [paksa]
    tolak-tl|reject-proof <id> <reason>     tolak|reject <id> <reason>
    catatan|note <id> <text>                balas|reply <id> <text>
    perpanjang|extend <id> <hours> <reason> baru|new <phone|email> <report text>
    bantuan|help

Parsing never touches the database; a mistake raises ``CommandSyntaxError``
naming the template that explains it.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from bot.lifecycle import Status
from bot.tracking import normalize

ALIASES: dict[str, str] = {
    "lihat": "lihat", "show": "lihat", "view": "lihat",
    "daftar": "daftar", "list": "daftar",
    "ambil": "ambil", "take": "ambil",
    "koordinasi": "koordinasi", "coordinate": "koordinasi",
    "disposisi": "disposisi", "dispatch": "disposisi",
    "proses": "proses", "process": "proses",
    "selesai": "selesai", "done": "selesai",
    "validasi": "validasi", "validate": "validasi",
    "tolak-tl": "tolak-tl", "tolaktl": "tolak-tl", "reject-proof": "tolak-tl",
    "tolak": "tolak", "reject": "tolak",
    "catatan": "catatan", "note": "catatan",
    "balas": "balas", "reply": "balas",
    "perpanjang": "perpanjang", "extend": "perpanjang",
    "baru": "baru", "new": "baru",
    "bantuan": "bantuan", "help": "bantuan",
}
COMMANDS = tuple(dict.fromkeys(ALIASES.values()))
# English name of each command, for usage texts in English.
ENGLISH = {"lihat": "show", "daftar": "list", "ambil": "take", "koordinasi": "coordinate", "disposisi": "dispatch",
           "proses": "process", "selesai": "done", "validasi": "validate", "tolak-tl": "reject-proof",
           "tolak": "reject", "catatan": "note", "balas": "reply", "perpanjang": "extend", "baru": "new",
           "bantuan": "help"}

WITH_ID = frozenset(COMMANDS) - {"daftar", "baru", "bantuan"}
NEEDS_TEXT = {"tolak-tl", "tolak", "catatan", "balas"}
MAX_TEXT = 2000
MAX_EXTEND_HOURS = 720.0

_URL = re.compile(r"^https?://\S+$", re.I)
_PHONE = re.compile(r"^\+628\d{7,11}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,190}\.[A-Za-z]{2,24}$")
_FLAGS_OVERDUE = {"overdue", "terlambat", "lewat"}
_FLAGS_MINE = {"saya", "mine", "me"}
_FILTER_KEYS = {"status": "status", "area": "area", "wilayah": "area", "category": "category",
                "kategori": "category", "agency": "agency", "instansi": "agency"}


class CommandSyntaxError(Exception):
    """A command that cannot be run as typed: ``key`` is the template explaining it."""

    def __init__(self, key: str, command: str | None = None, **fields: Any) -> None:
        super().__init__(key)
        self.key = key
        self.command = command
        self.fields = fields


@dataclass(frozen=True)
class StaffCommand:
    name: str  # canonical (Indonesian) subcommand
    tracking_id: str | None = None
    text: str = ""  # note, reason, reply text, report text
    target: str | None = None  # koordinasi agency / disposisi unit
    url: str | None = None  # selesai: a photo URL
    hours: float | None = None  # perpanjang
    force: bool = False  # validasi paksa
    contact: str | None = None  # baru: +628... or an email address
    contact_channel: str | None = None  # baru: "sms" or "email"
    filters: dict[str, str] = field(default_factory=dict)  # daftar


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
    """+628... for an Indonesian mobile number written 08.., 628.. or +628.., else None."""
    raw = re.sub(r"[\s\-.()]", "", token)
    if raw.startswith("+"):
        digits = raw[1:]
    else:
        digits = raw
    if not digits.isdigit():
        return None
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    number = "+" + digits
    return number if _PHONE.match(number) else None


def parse_contact(token: str) -> tuple[str, str] | None:
    """(address, channel) of a counter report's citizen: ("+628..", "sms") or ("a@b.id", "email")."""
    token = unslack(token.strip())
    if "@" in token:
        if not _EMAIL.match(token):
            return None
        local, _, domain = token.rpartition("@")
        return f"{local}@{domain.lower()}", "email"
    phone = normalize_phone(token)
    return (phone, "sms") if phone else None


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
    # NUL cannot be stored in PostgreSQL text; control characters are never meant.
    text = html.unescape(text or "").replace("\x00", "").strip()
    if not text:
        return StaffCommand("bantuan")
    head, _, rest = text.partition(" ")
    name = ALIASES.get(head.lower().rstrip(":"))
    if name is None:
        raise CommandSyntaxError("staff_unknown_command", given=head[:40])
    rest = rest.strip()
    if name == "bantuan":
        return StaffCommand("bantuan")
    if name == "daftar":
        return StaffCommand("daftar", filters=_filters(rest))
    if name == "baru":
        return _new_report(rest)
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
    if name in NEEDS_TEXT:
        if not rest:
            raise CommandSyntaxError("staff_usage_error", name)
        return StaffCommand(name, tracking_id, text=rest)
    if name in ("koordinasi", "disposisi"):
        target, _, extra = rest.partition(" ")
        if not target:
            raise CommandSyntaxError("staff_usage_error", name)
        return StaffCommand(name, tracking_id, target=target.strip(), text=extra.strip())
    if name == "selesai":
        first, _, after = rest.partition(" ")
        first = unslack(first)
        if _URL.match(first):
            return StaffCommand(name, tracking_id, url=first, text=after.strip())
        return StaffCommand(name, tracking_id, text=rest)
    if name == "validasi":
        return StaffCommand(name, tracking_id, force=rest.lower() in ("paksa", "force"))
    if name == "perpanjang":
        hours_token, _, reason = rest.partition(" ")
        if not hours_token or not reason.strip():
            raise CommandSyntaxError("staff_usage_error", name)
        hours = parse_hours(hours_token)
        if hours is None:
            raise CommandSyntaxError("staff_bad_hours", name, given=hours_token[:20], max=int(MAX_EXTEND_HOURS))
        return StaffCommand(name, tracking_id, hours=hours, text=reason.strip())
    return StaffCommand(name, tracking_id)  # lihat, ambil, proses


def _filters(rest: str) -> dict[str, str]:
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
            raise CommandSyntaxError("staff_bad_filter", "daftar", given=token[:40])
        if canonical == "status":
            status = parse_status(value)
            if status is None:
                raise CommandSyntaxError("staff_bad_filter", "daftar", given=token[:40])
            value = status
        filters[canonical] = value
    return filters


def _new_report(rest: str) -> StaffCommand:
    contact_token, _, text = rest.partition(" ")
    text = _unquote(text)
    if not contact_token or not text:
        raise CommandSyntaxError("staff_usage_error", "baru")
    if len(text) > MAX_TEXT:
        raise CommandSyntaxError("staff_text_too_long", "baru", max=MAX_TEXT)
    contact = parse_contact(contact_token)
    if contact is None:
        raise CommandSyntaxError("staff_bad_contact", "baru")
    return StaffCommand("baru", text=text, contact=contact[0], contact_channel=contact[1])
