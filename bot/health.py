"""What /healthz, /livez and /readyz report, computed from the gateway.

Issue 9: /healthz said "ok" while a provider failed every send, while dead
letters piled up and while the disk was full. Each check here names the
problem it found, so an operator reads *why* the gateway is degraded.
"""
from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import Connection

from bot.ports import HttpGateway
from store import health as store_health
# Re-exported: the health checks below and their tests use these names.
from store.health import PROBE_KEY, oldest_queued, outbox_counts, write_probe  # noqa: F401


@dataclass
class HealthReport:
    """The full answer (admins only) and the problems that make it degraded."""

    problems: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "degraded" if self.problems else "ok"


def probe_directory(directory: Path) -> None:
    """Write, fsync and delete a small file: raises OSError (e.g. ENOSPC on a full disk)."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix=".health-")
    try:
        os.write(fd, b"aduan health probe\n" * 16)
        os.fsync(fd)
    finally:
        os.close(fd)
        os.unlink(name)


def script_head() -> str:
    """The newest revision among the migration scripts shipped with this code."""
    from alembic.script import ScriptDirectory

    from store.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


def migration_state(conn: Connection, head: str) -> tuple[str | None, str]:
    """(revision the database is at, head of the migration scripts)."""
    return store_health.current_revision(conn), head


def describe_error(exc: BaseException) -> str:
    """The error class and errno text: no SQL, no paths with citizens' data."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"{type(exc).__name__}: {os.strerror(exc.errno)}"
    return type(exc).__name__


class HealthChecks:
    """Runs every check against one gateway; probes are injectable for fault tests."""

    def __init__(self, gateway: HttpGateway, *, media_probe: Callable[[Path], None] = probe_directory) -> None:
        self.gw = gateway
        self.media_probe = media_probe

    async def report(self) -> HealthReport:
        gw, report = self.gw, HealthReport()
        db_ok = await gw.db.ping()
        report.details["database"] = {"ok": db_ok, "dialect": gw.db.dialect}
        oldest: dict[str, datetime] = {}
        if not db_ok:
            report.problems.append("database: unreachable")
        else:
            oldest = await self._database_checks(report)
        await self._media_check(report)
        self._channel_checks(report, oldest)
        report.details["intake"] = {"commits": gw.intake.batches, "messages": gw.intake.messages}
        report.details["lanes"] = {name: {"concurrency": lane.concurrency, "in_flight": len(lane.inflight),
                                          "sent": lane.sent, "failed": lane.failed}
                                   for name, lane in gw.dispatcher.lanes().items()}
        # Sends that timed out and were retried: the provider may have delivered them twice.
        report.details["ambiguous_retries"] = gw.dispatcher.ambiguous
        limiter = gw.limiter.health()
        report.details["rate_limits"] = limiter
        if limiter["state"] != "ok":
            report.problems.append(f"rate limits: {limiter['backend']} unavailable ({limiter.get('error')}), "
                                   "limits are per process")
        return report

    async def _database_checks(self, report: HealthReport) -> dict[str, datetime]:
        gw = self.gw
        try:
            await gw.db.write(write_probe, gw.clock.now())
            report.details["database"]["writable"] = True
        except Exception as exc:  # noqa: BLE001 - reported, never raised
            report.details["database"].update(writable=False, error=describe_error(exc))
            report.problems.append(f"database: cannot write ({describe_error(exc)})")
        channels = gw.registry.channels()
        try:
            counts, oldest = await gw.db.read(lambda c: (outbox_counts(c), oldest_queued(c, channels)))
        except Exception as exc:  # noqa: BLE001 - /healthz reports, never answers 500
            report.problems.append(f"database: cannot read the outbox ({describe_error(exc)})")
            return {}
        report.details.update(counts)
        dead = counts["outbox"].get("dead", 0)
        if dead:
            report.problems.append(f"outbox: {dead} dead letter(s)")
        return oldest

    async def _media_check(self, report: HealthReport) -> None:
        try:
            await asyncio.to_thread(self.media_probe, self.gw.media.root)
            report.details["media"] = {"writable": True}
        except OSError as exc:
            report.details["media"] = {"writable": False, "error": describe_error(exc)}
            report.problems.append(f"media: cannot write ({describe_error(exc)})")

    def _channel_checks(self, report: HealthReport, oldest: dict[str, datetime]) -> None:
        gw, settings = self.gw, self.gw.config.health
        receivers, starting = gw.receiver_states(), gw.startup.degraded()
        streaks = gw.dispatcher.failure_streaks()
        now, channels = gw.clock.now(), {}
        for adapter in gw.registry.adapters():
            state = dict(adapter.health())
            reasons = [str(state["reason"])] if state.get("state") not in ("ok", None) and state.get("reason") else []
            if adapter.name in starting:
                state["startup"] = starting[adapter.name]
                reasons.append(str(starting[adapter.name]["reason"]))
            if adapter.name in receivers:
                state["receiver"] = receivers[adapter.name]
                if receivers[adapter.name].startswith("crashed"):
                    reasons.append(f"receiver {receivers[adapter.name]}")
            for ch in adapter.channels():
                channels[ch] = self._one_channel(ch, state, list(reasons), streaks.get(ch, 0), oldest.get(ch), now,
                                                 settings)
                if channels[ch]["state"] != "ok":
                    report.problems.append(f"channel {ch}: " + "; ".join(channels[ch].get("reasons") or
                                                                        [str(channels[ch]["state"])]))
        report.details["channels"] = channels

    @staticmethod
    def _one_channel(ch: str, state: dict[str, Any], reasons: list[str], streak: int, oldest: datetime | None,
                     now: datetime, settings: Any) -> dict[str, Any]:
        out = dict(state)
        if streak >= settings.failed_sends:
            reasons.append(f"last {streak} sends failed")
        if oldest is not None:
            age = (now - oldest).total_seconds()
            out["oldest_queued_seconds"] = round(age, 1)
            if age > settings.oldest_queued_minutes * 60:
                reasons.append(f"oldest queued reply waits {age / 60:.0f} min")
        if reasons:
            out.update(state="degraded", reasons=reasons)
        return out
