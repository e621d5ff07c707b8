"""The email intake writer alone: CPU per mail of the group commits, by group size (issue 16, point 4).

bench/email.py measures a whole gateway (parse, event loop, threads, writer) and on a shared machine its
figure moves by ±30 % from run to run. This isolates the writer: the same ``.eml`` corpus is parsed and
prepared first (photos stored), then committed through ``_process_batch`` in groups of ``--group`` mails,
one group after another; the figure is the process's CPU time during those commits (the event loop waits
idle meanwhile), without the first ``--warm`` groups (they compile and cache the statements). Over SMTP with
16 connections a group holds about 7 mails, in-process about 32. The writer's statements are counted too.
Last line, exactly:
  email writer: <ms> ms/mail CPU, <n> statements/mail, groups of <g> (<db>)
"""
from __future__ import annotations

import sys
from pathlib import Path

# As in bench/email.py: this folder must not shadow the standard library's ``email`` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.email import PG_DEFAULT, _gateway, corpus, start_run  # noqa: E402
from bench.email_corpus import OUR_ADDRESS, read_dir  # noqa: E402


async def run(folder: Path, kind: str, tmp: Path, group: int, warm: int) -> tuple[float, float, int, int]:
    """(CPU seconds, statements, mails counted, tickets made) of the commits after the first ``warm`` groups."""
    from sqlalchemy import event, func, select

    from adapters.email.server import IntakeHandler
    from bot.intake_service import _process_batch
    from store.repo import T_TICKET

    gw = await _gateway(tmp, kind, receivers=False)
    handler = IntakeHandler(gw.adapter("email").settings, gw.intake)
    try:
        items = []
        for mail in read_dir(folder):
            outcome = handler._parse(mail.raw, handler._config, envelope_from=mail.sender, envelope_to=[OUR_ADDRESS])
            if outcome.message is not None:
                outcome.message.received_at = gw.clock.now()
                items.append(await gw.intake.prepare(outcome.message))
        statements = 0

        def commit(conn: Any, batch: list[Any], counted: bool) -> None:
            def seen(*_: Any) -> None:
                nonlocal statements
                statements += 1

            if counted:
                event.listen(conn, "before_cursor_execute", seen)
            try:
                _process_batch(conn, batch, gw.intake.rules, gw.clock.now(), [])
            finally:
                if counted:
                    event.remove(conn, "before_cursor_execute", seen)

        cpu, mails = 0.0, 0
        for n, start in enumerate(range(0, len(items), group)):
            batch, counted = items[start:start + group], n >= warm
            began = time.process_time()
            await gw.db.write(commit, batch, counted)
            if counted:
                cpu += time.process_time() - began
                mails += len(batch)
        tickets = await gw.db.read(lambda c: c.execute(select(func.count()).select_from(T_TICKET)).scalar_one())
    finally:
        handler.close()
        await gw.stop()
    return cpu, statements, mails, tickets


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=1000, help="mails to generate (ignored with an existing --dir)")
    parser.add_argument("--dir", type=Path, help="a folder of .eml files (generated into it when it has none)")
    parser.add_argument("--group", type=int, default=32, help="mails per group commit")
    parser.add_argument("--warm", type=int, default=4, help="groups left out of the figure at the start")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite",
                        help=f"postgresql: recreates $ADUAN_BENCH_DATABASE_URL (default {PG_DEFAULT})")
    args = parser.parse_args()
    start_run(args.db)
    with tempfile.TemporaryDirectory() as d:
        folder = corpus(args.dir, d, args.mails)
        (Path(d) / "run").mkdir()
        cpu, statements, mails, tickets = await run(folder, args.db, Path(d) / "run", args.group, args.warm)
    if not mails:
        raise SystemExit(f"no group after the first {args.warm}: use more mails or a smaller --warm")
    print(f"  writer: {mails} mails counted, {tickets} tickets in all, {cpu:.3f} s CPU", flush=True)
    print(f"email writer: {cpu / mails * 1000:.3f} ms/mail CPU, {statements / mails:.2f} statements/mail, "
          f"groups of {args.group} ({args.db})", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
