"""``aduan staff ...``: the staff directory from the command line (the admin page does the same on the web).

    aduan staff list
    aduan staff show CODE
    aduan staff add CODE --name NAME --role ROLE [--agency A] [--area KODE] [--email E] [--language id|en]
    aduan staff disable CODE | enable CODE
    aduan staff set-password CODE [--stdin]       (prompts twice unless --stdin)
    aduan staff set-role CODE ROLE
    aduan staff link CODE slack|telegram USER_ID [--remove]
    aduan staff reset-2fa CODE                    (a lost phone and no recovery codes left)

Every change is written to the audit log with the actor ``cli``, and marks the officer as managed in the
database: config.yaml's ``staff:`` no longer overwrites them (see ``store.staff_directory``).
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any, Callable

from bot.clock import SystemClock
from bot.staff.roles import LINK_CHANNELS, ROLES

if TYPE_CHECKING:
    from bot.config import AppConfig



def add_parser(sub: Any) -> None:
    staff = sub.add_parser("staff", help="the staff directory: list, add, disable, passwords, roles, chat links")
    ss = staff.add_subparsers(dest="staff_command", required=True,
                              metavar="{list,show,add,disable,enable,set-password,set-role,link,reset-2fa}")
    ss.add_parser("list", help="every officer, one a line")
    for name, text in (("show", "one officer in full"), ("disable", "refuse sign-in and chat commands, end sessions"),
                       ("enable", "allow again"), ("reset-2fa", "forget the TOTP key and recovery codes")):
        ss.add_parser(name, help=text).add_argument("code")
    add = ss.add_parser("add", help="a new officer")
    add.add_argument("code")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--agency")
    add.add_argument("--area", help="Kemendagri area code (kelurahan, kecamatan or kota)")
    add.add_argument("--email")
    add.add_argument("--language", choices=["id", "en"])
    pw = ss.add_parser("set-password", help="set the web sign-in password (ends the officer's sessions)")
    pw.add_argument("code")
    pw.add_argument("--stdin", action="store_true", help="read the password from standard input")
    role = ss.add_parser("set-role", help="change the role")
    role.add_argument("code")
    role.add_argument("role", choices=ROLES)
    link = ss.add_parser("link", help="attach (or --remove) a Slack or Telegram user id")
    link.add_argument("code")
    link.add_argument("channel", choices=LINK_CHANNELS)
    link.add_argument("external_id")
    link.add_argument("--remove", action="store_true")


def _row_line(r: Any, links: list[str]) -> str:
    two_fa = "2fa" if r["totp_secret"] else "-"
    state = "active" if r["active"] else "DISABLED"
    return "  ".join([r["code"], r["role"], r["agency_code"] or "-", r["area_code"] or "-", state, two_fa,
                      r["managed_by"], ",".join(links) or "-", r["name"]])


def _show(conn: Any, code: str) -> str:
    from store import staff_directory as sd

    r = sd.staff_row(conn, code)
    if r is None:
        raise sd.DirectoryError(f"no officer {code!r}")
    links = [f"{i['channel']}:{i['external_id']}" for i in sd.identities(conn, r["id"])]
    fields = [("code", r["code"]), ("name", r["name"]), ("role", r["role"]), ("agency", r["agency_code"]),
              ("area", r["area_code"]), ("email", r["email"]), ("language", r["language"]),
              ("active", r["active"]), ("password", "set" if r["password_hash"] else "none"),
              ("2fa", "totp" if r["totp_secret"] else "off"),
              ("recovery codes left", sd.recovery_codes_left(conn, r["id"])),
              ("may see contact details", r["may_see_contact"]), ("chat ids", ", ".join(links) or "-"),
              ("managed by", r["managed_by"] + (" (config.yaml applies on start)" if r["managed_by"] == "config"
                                                else " (config.yaml no longer applies)"))]
    return "\n".join(f"{k:>24}: {'-' if v is None else v}" for k, v in fields)


def _change(config: "AppConfig", args: argparse.Namespace) -> tuple[str, dict[str, Any], str] | None:
    """(command, parameters, what to print) for ``admin_ops.apply``; None when the input is refused."""
    from bot.staff import admin_ops
    from bot.web.passwords import read_password
    from bot.web.security import hash_password

    code, cmd = args.code, args.staff_command
    if cmd == "add":
        values = dict(name=args.name, role=args.role, agency_code=args.agency, area_code=args.area,
                      email=args.email, language=args.language)
        why = admin_ops.check_values(dict(values, code=code), {a.code for a in config.agencies}, None)
        if why:
            print(f"staff: {why}", file=sys.stderr)
            return None
        return "add", {"values": values}, f"added {code}"
    if cmd == "set-password":
        password = read_password(args.stdin)
        if password is None:
            return None
        return "set-password", {"password_hash": hash_password(password)}, f"password of {code} set; their sessions ended"
    if cmd == "set-role":
        return "set-role", {"role": args.role}, f"{code} is now {args.role}"
    if cmd == "link":
        params = {"channel": args.channel, "external_id": args.external_id}
        if args.remove:
            return "unlink", params, f"{args.channel}:{args.external_id} unlinked from {code}"
        return "link", params, f"{args.channel}:{args.external_id} linked to {code}"
    done = {"disable": "disabled; their sessions ended", "enable": "enabled", "reset-2fa": "two-step verification reset"}
    return cmd, {}, f"{code} {done[cmd]}"


def in_database(config: "AppConfig", work: Callable[[Any], str], name: str) -> int:
    """Migrate, seed config's officers (as a start would), run ``work`` in one transaction and print its text;
    2 with the reason on stderr when the directory refuses."""
    from bot.config import resolved_database_url
    from bot.refdata import staff_seed
    from store import staff_directory as sd
    from store.db import Database
    from store.migrate import upgrade

    url = resolved_database_url(config)
    upgrade(url)
    now = SystemClock().now()

    def seeded(conn: Any) -> str:
        sd.seed_staff(conn, (staff_seed(s) for s in config.staff), now)
        return work(conn)

    async def go() -> str:
        db = Database(url)
        try:
            return await db.write(seeded)
        finally:
            await db.close()

    try:
        print(asyncio.run(go()))
    except sd.DirectoryError as err:
        print(f"{name}: {err}", file=sys.stderr)
        return 2
    return 0


def run_staff(config: "AppConfig", args: argparse.Namespace) -> int:
    from bot.staff import admin_ops
    from store import staff_directory as sd

    now = SystemClock().now()
    change = None
    if args.staff_command not in ("list", "show"):
        change = _change(config, args)
        if change is None:
            return 2

    def work(conn: Any) -> str:
        if args.staff_command == "list":
            links = sd.identity_map(conn)
            return "\n".join(_row_line(r, links.get(r["id"], [])) for r in sd.list_staff(conn)) or "(no staff)"
        if args.staff_command == "show":
            return _show(conn, args.code)
        assert change is not None
        command, params, message = change
        admin_ops.apply(conn, now, "cli", command, args.code, **params)
        return message

    return in_database(config, work, "staff")
