"""Changes to the staff directory, one implementation for the CLI (``aduan staff``) and the admin page.

Each change runs in the caller's transaction together with its audit row (``staff_audit``, action
``staff_<command>``, the actor ``cli`` or ``staff:<code>``); a password never reaches the audit detail.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bot.staff.roles import LINK_CHANNELS, ROLES
from store import staff_directory as sd

CHANNELS = LINK_CHANNELS
COMMANDS = ("add", "update", "disable", "enable", "set-password", "set-role", "link", "unlink", "reset-2fa")


def check_values(values: dict[str, Any], agencies: set[str], areas: set[str] | None) -> str | None:
    """Why ``values`` (staff columns) are refused, or None. ``areas`` None: area codes are not checked."""
    if "role" in values and values["role"] not in ROLES:
        return f"unknown role {values['role']!r} (one of {', '.join(ROLES)})"
    if values.get("agency_code") and values["agency_code"] not in agencies:
        return f"unknown agency {values['agency_code']!r}"
    if values.get("area_code") and areas is not None and values["area_code"] not in areas:
        return f"unknown area {values['area_code']!r}"
    if values.get("language") not in (None, "id", "en"):
        return "language is id or en"
    for key in ("code", "name"):
        if key in values and not (isinstance(values[key], str) and 0 < len(values[key].strip()) <= 60):
            return f"{key} must have 1 to 60 characters"
    return None


def apply(conn: Connection, now: datetime, actor: str, command: str, code: str, **params: Any) -> None:
    """Run one directory change and audit it; raises ``sd.DirectoryError`` when refused."""
    if command == "add":
        sd.add_staff(conn, dict(params["values"], code=code))
    elif command == "update":
        sd.update_staff(conn, code, params["values"])
    elif command in ("disable", "enable"):
        sd.set_active(conn, code, command == "enable")
    elif command == "set-password":
        sd.set_password(conn, code, params["password_hash"])
    elif command == "set-role":
        if params["role"] not in ROLES:
            raise sd.DirectoryError(f"unknown role {params['role']!r}")
        sd.update_staff(conn, code, {"role": params["role"]})
    elif command == "link":
        sd.link(conn, code, _channel(params["channel"]), params["external_id"], now)
    elif command == "unlink":
        if not sd.unlink(conn, code, _channel(params["channel"]), params["external_id"]):
            raise sd.DirectoryError(f"{params['channel']}:{params['external_id']} is not linked to {code}")
    elif command == "reset-2fa":
        sd.reset_totp(conn, code)
    else:
        raise sd.DirectoryError(f"unknown command {command!r}")
    detail = {k: v for k, v in params.items() if k != "password_hash"}
    if "values" in detail:
        detail["values"] = {k: v for k, v in detail["values"].items() if k != "password_hash"}
    sd.audit(conn, now, f"staff_{command.replace('-', '_')}", actor=actor, staff_code=code, **detail)


def _channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise sd.DirectoryError(f"channel is one of {', '.join(CHANNELS)}")
    return channel
