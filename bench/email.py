"""Email ingest benchmark: raw mail to ticket + photos stored + reply queued (issue 16, point 4).

A folder of realistic Indonesian ``.eml`` files (bench/email_corpus.py; or ``--dir`` with your own) is fed
  smtp        over SMTP to the gateway's real aiosmtpd receiver, by a client process with
              ``--connections`` concurrent connections (each sends its share of the mails in turn)
  in-process  straight into the SMTP handler's parse + intake submit (no socket), 64 at a time
each into a fresh database. A mail counts once the receiver answered 250, which it does only after
intake committed it; then every mail is checked: its message stored with a ticket, and one reply
queued for it. The dispatcher does not run, so replies stay queued.

Each mode's line also gives the gateway's CPU time per mail (this process: event loop, parser threads,
DB writer; not the SMTP client, nor parse worker processes with --parse-processes), the figure to compare
on a shared machine. Prints the load average and a CPU calibration figure first, and as its last line exactly:
  email: <mails_per_s> mails/s smtp, <mails_per_s> mails/s in-process, p99 <ms> ms (<db>)
(p99 is the SMTP transaction time seen by the client.)
"""
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and its name would shadow the
# standard library's ``email`` package for everything imported below: take the folder out.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import psutil  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.email_corpus import OUR_ADDRESS, Mail, generate, read_dir, write_dir  # noqa: E402
from bench._env import checkout_data_paths, print_env  # noqa: E402

PG_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/aduan_bench_email"


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


PARSE_PROCESSES: int | None = None  # --parse-processes: overrides channels.email.parse_processes
INLINE_PARSE_BYTES: int | None = None  # --inline-parse-bytes: overrides channels.email.inline_parse_bytes


def _config(tmp: Path, db_url: str) -> Any:
    from bot.config import parse_config

    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = db_url
    data["media"]["dir"] = str(tmp / "media")
    checkout_data_paths(data)
    data["channels"] = {"email": {"enabled": True, "listen_host": "127.0.0.1", "listen_port": 0,
                                  "addresses": [OUR_ADDRESS], "maildir_path": str(tmp / "mail")}}
    if PARSE_PROCESSES is not None:
        data["channels"]["email"]["parse_processes"] = PARSE_PROCESSES
    if INLINE_PARSE_BYTES is not None:
        data["channels"]["email"]["inline_parse_bytes"] = INLINE_PARSE_BYTES
    return parse_config(data, base_dir=str(ROOT))


async def _fresh_database(kind: str, tmp: Path) -> str:
    from store.migrate import upgrade

    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        import asyncpg

        url = os.environ.get("ADUAN_BENCH_DATABASE_URL", PG_DEFAULT)
        base, name = url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)
        admin = await asyncpg.connect(base + "/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
    await asyncio.to_thread(upgrade, url)  # Alembic runs its own loop for asyncpg
    return url


async def _gateway(tmp: Path, kind: str, *, receivers: bool) -> Any:
    from bot.gateway import Gateway

    cfg = _config(tmp, await _fresh_database(kind, tmp))
    gw = Gateway(cfg)
    await gw.start(dispatcher=False, receivers=receivers, scheduler=False)
    return gw


def _check(conn: Any, ids: list[str]) -> dict[str, int]:
    """Per mail: stored with a ticket; replies queued on the email channel; tickets made."""
    from sqlalchemy import func, select

    from store.repo import T_ATTACHMENT, T_MESSAGE, T_TICKET

    m = T_MESSAGE.c
    stored = 0
    for start in range(0, len(ids), 500):
        stored += conn.execute(select(func.count()).select_from(T_MESSAGE).where(
            m.channel == "email", m.direction == "in", m.ticket_id.is_not(None),
            m.external_id.in_(ids[start:start + 500]))).scalar_one()
    replies = conn.execute(select(func.count()).select_from(T_MESSAGE).where(
        m.channel == "email", m.direction == "out", m.status == "queued")).scalar_one()
    tickets = conn.execute(select(func.count()).select_from(T_TICKET)).scalar_one()
    photos = conn.execute(select(func.count()).select_from(T_ATTACHMENT).where(
        T_ATTACHMENT.c.kind == "citizen")).scalar_one()
    return {"stored": stored, "replies": replies, "tickets": tickets, "attachments": photos}


async def _verify(gw: Any, mails: list[Mail]) -> dict[str, int]:
    result: dict[str, int] = await gw.db.read(_check, [m.message_id for m in mails])
    return result


async def run_inprocess(mails: list[Mail], kind: str, tmp: Path, concurrency: int = 64) -> dict[str, Any]:
    from aiosmtpd.smtp import Envelope

    from adapters.email.server import IntakeHandler

    gw = await _gateway(tmp, kind, receivers=False)
    handler = IntakeHandler(gw.adapter("email").settings, gw.intake)
    latencies: list[float] = []
    refused: list[str] = []
    sem = asyncio.Semaphore(concurrency)

    async def one(mail: Mail) -> None:
        envelope = Envelope()
        envelope.mail_from, envelope.rcpt_tos, envelope.original_content = mail.sender, [OUR_ADDRESS], mail.raw
        async with sem:
            t0 = time.perf_counter()
            answer = await handler.handle_DATA(None, None, envelope)  # type: ignore[arg-type]
            latencies.append(time.perf_counter() - t0)
        if not answer.startswith("250"):
            refused.append(answer)

    try:
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(m) for m in mails))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        rss = psutil.Process().memory_info().rss / 1e6
        checks = await _verify(gw, mails)
    finally:
        if hasattr(handler, "close"):  # trees before issue 16 have no parse pool to close (old-vs-new runs)
            handler.close()
        await gw.stop()
    return {"mode": "in-process", "elapsed": elapsed, "latencies": latencies, "errors": refused, "rss": rss,
            "checks": checks, "db": gw.db.dialect, "cpu": cpu}


async def run_smtp(mails: list[Mail], folder: Path, kind: str, tmp: Path, connections: int) -> dict[str, Any]:
    gw = await _gateway(tmp, kind, receivers=True)
    try:
        _, port = await asyncio.wait_for(gw.adapter("email").wait_listening(), 30)
        cpu = time.process_time()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--client", str(port), "--dir", str(folder), "--connections", str(connections),
            stdout=asyncio.subprocess.PIPE, cwd=str(ROOT))
        out, _ = await proc.communicate()
        cpu = time.process_time() - cpu
        report = json.loads(out.decode().strip().splitlines()[-1])
        rss = psutil.Process().memory_info().rss / 1e6
        checks = await _verify(gw, mails)
    finally:
        await gw.stop()
    return {"mode": "smtp", "elapsed": report["elapsed"], "latencies": report["latencies"], "errors": report["errors"],
            "rss": rss, "checks": checks, "db": gw.db.dialect, "cpu": cpu}


async def smtp_client(port: int, folder: Path, connections: int) -> None:
    """The load generator (its own process): each connection sends its share of the mails in turn."""
    import aiosmtplib

    mails = read_dir(folder)
    latencies: list[float] = []
    errors: list[str] = []

    async def connection(share: list[Mail]) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=120,
                                 local_hostname="mta.bench.test")
        await client.connect()
        for mail in share:
            t0 = time.perf_counter()
            try:
                await client.sendmail(mail.sender, [OUR_ADDRESS], mail.raw)
            except aiosmtplib.SMTPException as exc:
                errors.append(f"{mail.name}: {type(exc).__name__} {exc}")
            latencies.append(time.perf_counter() - t0)
        await client.quit()

    start = time.perf_counter()
    await asyncio.gather(*(connection(mails[i::connections]) for i in range(connections)))
    print(json.dumps({"elapsed": time.perf_counter() - start, "latencies": latencies, "errors": errors}))


def report_line(result: dict[str, Any], mails: list[Mail]) -> str:
    lat, checks = result["latencies"], result["checks"]
    replies_expected = len(mails)
    ok = checks["stored"] == len(mails) and checks["replies"] == replies_expected and not result["errors"]
    return (f"  {result['mode']}: {len(mails)} mails in {result['elapsed']:.2f} s = "
            f"{len(mails) / result['elapsed']:.0f} mails/s; p50 {percentile(lat, 0.5) * 1000:.1f} ms "
            f"p99 {percentile(lat, 0.99) * 1000:.1f} ms; stored with ticket {checks['stored']}/{len(mails)}, "
            f"replies queued {checks['replies']}/{replies_expected}, tickets {checks['tickets']}, "
            f"photos {checks['attachments']}, errors {len(result['errors'])}; gateway CPU "
            f"{result['cpu'] / len(mails) * 1000:.2f} ms/mail; rss {result['rss']:.0f} MB; "
            f"{'complete' if ok else 'INCOMPLETE'}")


def start_run(db: str) -> None:
    """Quiet logs, then what the figures depend on (bench/_env.py)."""
    import logging

    os.environ.setdefault("ADUAN_LOG_LEVEL", "ERROR")
    logging.basicConfig(level=logging.ERROR)
    print_env(os.environ.get("ADUAN_BENCH_DATABASE_URL", PG_DEFAULT) if db == "postgresql" else None)


def corpus(folder: Path | None, scratch: str, count: int) -> Path:
    """The folder of .eml files: ``folder`` (``count`` mails generated into it when it has none), else
    ``count`` mails generated in ``scratch``."""
    folder = folder or Path(scratch) / "mails"
    if not folder.is_dir() or not any(folder.glob("*.eml")):
        write_dir(generate(count, ROOT), folder)
    return folder


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=1000, help="mails to generate (ignored with an existing --dir)")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite",
                        help=f"postgresql: recreates $ADUAN_BENCH_DATABASE_URL (default {PG_DEFAULT})")
    parser.add_argument("--dir", type=Path, help="a folder of .eml files (generated into it when it has none)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent SMTP connections")
    parser.add_argument("--mode", choices=["smtp", "in-process", "both"], default="both")
    parser.add_argument("--parse-processes", type=int, help="channels.email.parse_processes (default: config.yaml)")
    parser.add_argument("--inline-parse-bytes", type=int,
                        help="channels.email.inline_parse_bytes: mail up to this size is parsed in the event loop "
                             "(0: always in worker threads, as before issue 16)")
    parser.add_argument("--client", type=int, help=argparse.SUPPRESS)  # internal: run the SMTP load generator
    args = parser.parse_args()
    if args.client:
        await smtp_client(args.client, args.dir, args.connections)
        return
    global PARSE_PROCESSES, INLINE_PARSE_BYTES
    PARSE_PROCESSES, INLINE_PARSE_BYTES = args.parse_processes, args.inline_parse_bytes
    start_run(args.db)
    with tempfile.TemporaryDirectory() as d:
        folder = corpus(args.dir, d, args.mails)
        mails = read_dir(folder)
        print(f"  corpus: {len(mails)} mails in {folder}, {sum(m.reply for m in mails)} replies, "
              f"{sum(len(m.raw) for m in mails) / len(mails) / 1024:.1f} KiB mean", flush=True)
        rates: dict[str, float] = {"smtp": 0.0, "in-process": 0.0}
        p99 = 0.0
        for mode in (["smtp", "in-process"] if args.mode == "both" else [args.mode]):
            with tempfile.TemporaryDirectory(dir=d) as run_dir:
                if mode == "smtp":
                    result = await run_smtp(mails, folder, args.db, Path(run_dir), args.connections)
                    p99 = percentile(result["latencies"], 0.99)
                else:
                    result = await run_inprocess(mails, args.db, Path(run_dir))
                    p99 = p99 or percentile(result["latencies"], 0.99)
            rates[mode] = len(mails) / result["elapsed"]
            print(report_line(result, mails), flush=True)
            for error in result["errors"][:5]:
                print(f"  error: {error}", flush=True)
    print(f"email: {rates['smtp']:.0f} mails/s smtp, {rates['in-process']:.0f} mails/s in-process, "
          f"p99 {p99 * 1000:.0f} ms ({args.db})", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
