"""``aduan canned ...``: canned replies (``balasan siap pakai``) from the command line; the admin page
(/petugas/admin/balasan) does the same. Changes are audited with the actor ``cli``.

    aduan canned list
    aduan canned add --language id|en --title T --body TEXT [--category CODE]
    aduan canned delete ID
"""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from bot.clock import SystemClock
from bot.staffcli import in_database

if TYPE_CHECKING:
    from bot.config import AppConfig

MAX_BODY = 2000


def add_parser(sub: Any) -> None:
    canned = sub.add_parser("canned", help="canned replies (balasan siap pakai): list, add, delete")
    cs = canned.add_subparsers(dest="canned_command", required=True, metavar="{list,add,delete}")
    cs.add_parser("list", help="every canned reply, one a line")
    add = cs.add_parser("add", help="a new canned reply")
    add.add_argument("--language", required=True, choices=["id", "en"])
    add.add_argument("--title", required=True)
    add.add_argument("--body", required=True)
    add.add_argument("--category", help="category code (default: any category)")
    delete = cs.add_parser("delete", help="delete one by id")
    delete.add_argument("id", type=int)


def run_canned(config: "AppConfig", args: argparse.Namespace) -> int:
    from store import staff as store_staff
    from store import staff_directory as sd

    now = SystemClock().now()
    if args.canned_command == "add":
        if args.category and args.category not in {c.code for c in config.categories}:
            print(f"canned: unknown category {args.category!r}", file=sys.stderr)
            return 2
        if not args.title.strip() or not args.body.strip() or len(args.body) > MAX_BODY or len(args.title) > 120:
            print(f"canned: give a title (up to 120 characters) and a body (up to {MAX_BODY})", file=sys.stderr)
            return 2

    def work(conn: Any) -> str:
        if args.canned_command == "list":
            return "\n".join(f"{r['id']}  {r['category_code'] or '*'}  {r['language']}  {r['title']}"
                             for r in store_staff.all_canned(conn)) or "(no canned replies)"
        if args.canned_command == "delete":
            if not store_staff.delete_canned(conn, args.id):
                raise sd.DirectoryError(f"no canned reply {args.id}")
            sd.audit(conn, now, "canned_delete", actor="cli", id=args.id)
            return f"deleted {args.id}"
        values = {"category_code": args.category or None, "language": args.language, "title": args.title.strip(),
                  "body": args.body.strip()}
        new_id = store_staff.add_canned(conn, values, "cli", now)
        sd.audit(conn, now, "canned_add", actor="cli", id=new_id, title=values["title"])
        return f"added {new_id}"

    return in_database(config, work, "canned")
