"""Outbound benchmark: a backlog of queued replies drained through the real adapters.

10,000 replies (by default) are queued over four channels — partner callbacks,
Telegram, SMS through Twilio and email — to 500 recipients per channel, five
messages each (so conversation order is exercised). The real SDK clients send
them to local fakes of each provider on 127.0.0.1 (an aiohttp server for the
HTTP APIs, an aiosmtpd relay for mail), in this process.

Two runs, each on a fresh database:
  normal    every provider answers at once
  hanging   the Twilio fake never answers (each send waits for the lane's send timeout)

Rate limits are what a provider imposes, not what the dispatcher can do, so
the send budgets run in virtual time here (paced, but sleeping costs nothing).

Printed: the load average and a CPU calibration figure, per-lane rates of both
runs and their ratio; the last line is exactly
  outbound: <msgs_per_s> msg/s, with one provider hanging <msgs_per_s> msg/s (<db>)
where the second figure is the rate of the lanes whose provider still answers.
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
sys.path.insert(0, str(ROOT))

from tests.harness.provider_fakes import CHANNELS, ProviderFakes, channels_config  # noqa: E402

HANGING = "sms"


def calibration() -> float:
    """Seconds for a fixed pure-Python loop: compare machines and loaded runs by it."""
    start = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i % 7
    return time.perf_counter() - start


def _config(tmp: Path, db_url: str | None, base: str, smtp_port: int, send_timeout: float) -> Path:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = db_url or f"sqlite:///{tmp / 'bench.db'}"
    data["media"]["dir"] = str(tmp / "media")
    data["routing"]["areas_csv"] = str(ROOT / "data" / "jakarta_areas.csv")
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


async def run_once(total: int, db_url: str | None, hang: bool, send_timeout: float) -> dict[str, float]:
    """Drain the backlog; returns messages per second per lane (time to the lane's last send)."""
    from bot.config import load_config, resolved_database_url
    from bot.gateway import Gateway
    from store.migrate import upgrade
    from tests.adapters.email.harness import RelayRecorder
    from tests.e2e.flow import virtual_budget

    per_channel = total // len(CHANNELS)
    fakes = ProviderFakes()
    fakes.hang_twilio = hang
    base = await fakes.start()
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
            done: dict[str, float] = {}
            start = time.perf_counter()
            runner = asyncio.create_task(gw.dispatcher.run())
            answering = [c for c in CHANNELS if not (hang and c == HANGING)]
            try:
                while len(done) < len(answering):
                    await asyncio.sleep(0.05)
                    for name, lane in gw.dispatcher.lanes().items():
                        if name not in done and lane.sent >= per_channel:
                            done[name] = time.perf_counter() - start
            finally:
                await fakes.stop()
                await gw.dispatcher.stop()
                await runner
                await gw.stop()
    return {lane: per_channel / seconds for lane, seconds in done.items()}


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
    parser.add_argument("--send-timeout", type=float, default=5.0, help="lane send timeout in the hanging run")
    parser.add_argument("--database-url", help="a PostgreSQL database to recreate; default: a fresh SQLite file")
    args = parser.parse_args()
    os.environ.setdefault("ADUAN_LOG_LEVEL", "ERROR")
    import logging

    logging.basicConfig(level=logging.ERROR)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; calibration loop {calibration():.3f} s",
          flush=True)
    db = "postgresql" if args.database_url else "sqlite"
    normal = await run_once(args.n, args.database_url, False, args.send_timeout)
    hanging = await run_once(args.n, args.database_url, True, args.send_timeout)
    for lane in CHANNELS:
        ratio = f"{hanging[lane] / normal[lane]:.0%}" if lane in hanging else "hanging"
        print(f"  lane {lane:9s} {normal[lane]:7.0f} msg/s; with {HANGING} hanging "
              f"{hanging.get(lane, 0):7.0f} msg/s ({ratio})", flush=True)
    total = args.n / max(args.n / len(CHANNELS) / r for r in normal.values())
    answering = (args.n - args.n // len(CHANNELS)) / max(args.n / len(CHANNELS) / r for r in hanging.values())
    print(f"outbound: {total:.0f} msg/s, with one provider hanging {answering:.0f} msg/s ({db})", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
