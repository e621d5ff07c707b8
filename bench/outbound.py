"""Outbound benchmark: a backlog of queued replies drained through the real adapters.

10,000 replies (by default) are queued over four channels — partner callbacks,
Telegram, SMS through Twilio and email — to 500 recipients per channel, five
messages each (so conversation order is exercised). The real SDK clients send
them to local fakes of each provider on 127.0.0.1 (an aiohttp server for the
HTTP APIs, an aiosmtpd relay for mail), in this process.

One run on a fresh database, two measuring windows back to back:
  normal    every provider answers at once
  hanging   then the Twilio fake stops answering (each SMS send waits for the lane's send timeout)
Both windows are measured in the same process a few seconds apart, so the ratio
between them is not skewed by what else the shared machine is doing.

Rate limits are what a provider imposes, not what the dispatcher can do, so
the send budgets run in virtual time here (paced, but sleeping costs nothing).

Printed: the load average and a CPU calibration figure, per-lane rates of both
runs and their ratio; the last line is exactly
  outbound: <msgs_per_s> msg/s, with one provider hanging <msgs_per_s> msg/s (<db>)
where the second figure is the rate of the lanes whose provider still answers.

``--channel email`` (issue 16): N email replies (1,000 by default) queued, then
drained with the real send budget (not virtual time) to the Maildir (``--maildir``)
or to a local aiosmtpd relay; the last line is
  outbound: <msgs_per_s> msg/s email, <n> replies in <s> s (<maildir|relay>, <db>)
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ would come first on sys.path, and bench/email.py would shadow the standard
# library's ``email`` package for everything imported below: the checkout's root instead.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench._env import checkout_data_paths, print_env  # noqa: E402
from tests.harness.provider_fakes import CHANNELS, ProviderFakes, channels_config  # noqa: E402

HANGING = "sms"


def _config(tmp: Path, db_url: str | None, base: str, smtp_port: int, send_timeout: float) -> Path:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = db_url or f"sqlite:///{tmp / 'bench.db'}"
    data["media"]["dir"] = str(tmp / "media")
    checkout_data_paths(data)
    data["outbox"].update(send_timeout_seconds=send_timeout, lease_seconds=max(120, 4 * send_timeout),
                          poll_interval_seconds=0.2)
    data["channels"] = channels_config(base, smtp_port)
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _recipient(channel: str, i: int) -> str:
    return {"partner": f"bench:u{i}", "telegram": str(10_000 + i), "sms": f"+62812{i:07d}",
            "email": f"warga{i}@example.com"}[channel]


async def _queue_backlog(gw: Any, per_channel: int) -> None:
    from bot.outbox import enqueue

    def fill(conn: Any) -> None:
        now = gw.clock.now()
        for n in range(per_channel):
            for channel in CHANNELS:
                enqueue(conn, now, channel=channel, recipient=_recipient(channel, n % 500),
                        text=f"Laporan Anda berstatus Proses (pesan {n}).", kind="status")

    await gw.db.write(fill)


async def run(total: int, db_url: str | None, send_timeout: float, window: float) -> tuple[dict, dict, list[str]]:
    """One gateway draining one backlog: a window with every provider answering, then Twilio
    starts hanging and a second window follows. Returns msg/s per lane in each, and warnings."""
    from bot.config import load_config, resolved_database_url
    from bot.gateway import Gateway
    from store.migrate import upgrade
    from tests.adapters.email.harness import RelayRecorder
    from tests.e2e.flow import virtual_budget

    per_channel = total // len(CHANNELS)
    fakes = ProviderFakes()
    base = await fakes.start()
    warnings: list[str] = []
    with tempfile.TemporaryDirectory() as d:
        async with RelayRecorder() as relay:
            cfg = load_config(str(_config(Path(d), db_url, base, relay.port, send_timeout)))
            url = resolved_database_url(cfg)
            if db_url:
                await asyncio.to_thread(_reset_pg, db_url)
            await asyncio.to_thread(upgrade, url)
            gw = Gateway(cfg)
            await gw.start(dispatcher=False, receivers=False, scheduler=False)
            gw.dispatcher.budget = virtual_budget()
            await _queue_backlog(gw, per_channel)
            runner = asyncio.create_task(gw.dispatcher.run())
            try:
                await asyncio.sleep(2)  # lanes started and leasing
                normal = await _window(gw, window)
                fakes.hang_twilio = True
                await asyncio.sleep(2)  # sends already on the wire finish; new SMS sends hang
                hanging = await _window(gw, window)
                for name, lane in gw.dispatcher.lanes().items():
                    if name != HANGING and lane.sent >= per_channel:
                        warnings.append(f"lane {name} ran out of backlog: raise -n")
            finally:
                await fakes.stop()
                await gw.dispatcher.stop()
                await runner
                await gw.stop()
    return normal, hanging, warnings


async def run_email(total: int, db_url: str | None, maildir: bool, rate: float | None = None,
                    reuse: bool = True) -> tuple[float, int, int]:
    """Seconds to send ``total`` queued email replies with the real budget; (seconds, mails seen, connections)."""
    import mailbox

    from bot.config import load_config, resolved_database_url
    from bot.gateway import Gateway
    from bot.outbox import enqueue
    from store.migrate import upgrade
    from tests.adapters.email.harness import RelayRecorder

    with tempfile.TemporaryDirectory() as d:
        async with RelayRecorder() as relay:
            path = _config(Path(d), db_url, "http://127.0.0.1:9", relay.port, 30)
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            email = {"enabled": True, "listen_host": "127.0.0.1", "listen_port": 0,
                     "addresses": ["lapor@jakarta.go.id"], "maildir_path": str(Path(d) / "mail")}
            if not maildir:
                email["relay"] = {"host": "127.0.0.1", "port": relay.port, "security": "none"}
            data["channels"] = {"email": email}
            if rate is not None:  # outbox.lanes.email.rate_per_second (0: no limit)
                data["outbox"]["lanes"] = {"email": {"rate_per_second": rate}}
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            cfg = load_config(str(path))
            if db_url:
                await asyncio.to_thread(_reset_pg, db_url)
            await asyncio.to_thread(upgrade, resolved_database_url(cfg))
            gw = Gateway(cfg)
            await gw.start(dispatcher=False, receivers=False, scheduler=False)
            if not reuse:  # every reply on a connection of its own, as before issue 16
                gw.adapter("email")._transport.max_idle_seconds = 0  # type: ignore[attr-defined]

            def fill(conn: Any) -> None:
                for n in range(total):
                    enqueue(conn, gw.clock.now(), channel="email", recipient=f"warga{n}@example.com",
                            text=f"Laporan Anda sudah kami terima (pesan {n}).\nStatus: Menunggu.", kind="status")

            await gw.db.write(fill)
            start = time.perf_counter()
            runner = asyncio.create_task(gw.dispatcher.run())
            while sum(lane.sent + lane.failed for lane in gw.dispatcher.lanes().values()) < total:
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - start
            await gw.dispatcher.stop()
            await runner
            transport = gw.adapter("email")._transport  # type: ignore[attr-defined]
            connections = getattr(transport, "connections_opened", 0)
            await gw.stop()
            seen = len(mailbox.Maildir(str(Path(d) / "mail"), create=False)) if maildir else len(relay.envelopes)
    return elapsed, seen, connections


async def _window(gw: Any, seconds: float) -> dict[str, float]:
    """Messages per second per lane over the next ``seconds``."""
    before = {name: lane.sent for name, lane in gw.dispatcher.lanes().items()}
    start = time.perf_counter()
    await asyncio.sleep(seconds)
    elapsed = time.perf_counter() - start
    return {name: (lane.sent - before.get(name, 0)) / elapsed for name, lane in gw.dispatcher.lanes().items()}


def _reset_pg(url: str) -> None:
    import asyncpg

    async def reset() -> None:
        name = url.rsplit("/", 1)[1]
        admin = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0] + "/postgres")
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()

    asyncio.run(reset())


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="replies in the backlog (over four channels)")
    parser.add_argument("--send-timeout", type=float, default=5.0, help="the lanes' send timeout")
    parser.add_argument("--window", type=float, default=15.0, help="seconds measured in each phase")
    parser.add_argument("--database-url", help="a PostgreSQL database to recreate; default: a fresh SQLite file")
    parser.add_argument("--channel", choices=["all", "email"], default="all",
                        help="email: only email replies, with the real send budget")
    parser.add_argument("--maildir", action="store_true", help="with --channel email: to the Maildir, not a relay")
    parser.add_argument("--email-rate", type=float, help="with --channel email: outbox.lanes.email.rate_per_second "
                        "(default: the adapter's, 50/s to a relay; 0: no limit)")
    parser.add_argument("--no-reuse", action="store_true", help="with a relay: a new SMTP connection per reply")
    args = parser.parse_args()
    os.environ.setdefault("ADUAN_LOG_LEVEL", "ERROR")
    import logging

    logging.basicConfig(level=logging.ERROR)
    print_env(args.database_url)
    db = "postgresql" if args.database_url else "sqlite"
    if args.channel == "email":
        n = 1_000 if args.n == 10_000 else args.n
        elapsed, seen, connections = await run_email(n, args.database_url, args.maildir, args.email_rate,
                                                     not args.no_reuse)
        where = "maildir" if args.maildir else "relay"
        print(f"  email: {n} replies queued, {seen} written to the {where} in {elapsed:.2f} s"
              + ("" if args.maildir else f" over {connections} relay connection(s)"), flush=True)
        print(f"outbound: {n / elapsed:.0f} msg/s email, {n} replies in {elapsed:.1f} s ({where}, {db})", flush=True)
        return
    normal, hanging, warnings = await run(args.n, args.database_url, args.send_timeout, args.window)
    for lane in CHANNELS:
        ratio = f"{hanging[lane] / normal[lane]:.0%}" if lane != HANGING and normal.get(lane) else "hanging"
        print(f"  lane {lane:9s} {normal.get(lane, 0):7.0f} msg/s; with {HANGING} hanging "
              f"{hanging.get(lane, 0):7.0f} msg/s ({ratio})", flush=True)
    for warning in warnings:
        print(f"  warning: {warning}", flush=True)
    others = [c for c in CHANNELS if c != HANGING]
    print(f"  the other lanes keep {sum(hanging[c] for c in others) / sum(normal[c] for c in others):.0%} "
          f"of their rate while {HANGING} hangs", flush=True)
    print(f"outbound: {sum(normal.values()):.0f} msg/s, with one provider hanging "
          f"{sum(hanging[c] for c in others):.0f} msg/s ({db})", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
