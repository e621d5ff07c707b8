"""A deterministic synthetic ticket history, and the figures computed from it in plain Python.

``generate`` simulates tickets through the CRM lifecycle (coordination,
sub-units, proof submissions, rejected proofs, validation pauses, extensions,
reopens) and returns rows for the ``ticket`` and ``ticket_event`` tables.
``expected`` recomputes every performance figure from those rows with
dictionaries and ``statistics`` -- independently of ``bot.reports``.
"""
from __future__ import annotations

import csv
import random
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert

from store import figures, repo

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 1, 0, 0, tzinfo=timezone.utc)
START = datetime(2025, 12, 10, 0, 0, tzinfo=timezone.utc)
SPAN_SECONDS = int((datetime(2026, 2, 25, tzinfo=timezone.utc) - START).total_seconds())
OPEN = {"MENUNGGU", "KOORDINASI", "DISPOSISI", "PROSES", "MENUNGGU_VALIDASI", "TL_DITOLAK"}
AGENCIES = ["DLH", "SUDIN_LH_JAKSEL", "DISHUB", "DBM", "DPHK", "DSDA", "SATPOL_PP", "DCKTRP", None]


def kelurahan_codes(n: int = 40) -> list[str]:
    with (ROOT / "data" / "jakarta_areas.csv").open(encoding="utf-8") as f:
        return [row["village_code"] for _, row in zip(range(n), csv.DictReader(f))]


@dataclass
class Data:
    tickets: list[dict[str, Any]]
    events: list[dict[str, Any]]


def generate(n: int, seed: int) -> Data:
    rnd = random.Random(seed)
    areas = kelurahan_codes() + [None]
    tickets: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []

    for i in range(1, n + 1):
        created = START + timedelta(seconds=rnd.randrange(SPAN_SECONDS))
        t: dict[str, Any] = dict(
            id=i, tracking_id=f"GEN-{i:07d}", status="MENUNGGU", channel="sms", reporter_id=1,
            category_code="sampah", agency_code=rnd.choice(AGENCIES), unit=None, area_code=rnd.choice(areas),
            area_method="name", latitude=None, longitude=None, description="generated", language="id",
            created_at=created, updated_at=created, last_inbound_at=created,
            coordinate_due=created + timedelta(hours=6), resolve_due=created + timedelta(hours=168),
            coordinated_at=None, proof_submitted_at=None, resolved_at=None, closed_at=None, reopen_count=0,
            resolve_started_at=None, paused_at=None, paused_hours=0.0,
        )
        tickets.append(t)
        clock = [created]

        def event(kind: str, to: str | None, hours: float, **extra: Any) -> bool:
            """Advance time and record an event; False (and nothing recorded) once past NOW."""
            at = clock[0] + timedelta(seconds=round(hours * 3600))
            if at > NOW:
                return False
            clock[0] = at
            events.append(dict(ticket_id=i, kind=kind, from_status=t["status"] if to else None, to_status=to,
                               actor="staff:gen", reason=None, public=to is not None, data=extra.get("data"),
                               created_at=at))
            if to:
                t["status"] = to
                t["updated_at"] = at
            return True

        def move(to: str, hours: float) -> bool:
            src = t["status"]
            if not event("status", to, hours):
                return False
            at = clock[0]
            if t["coordinated_at"] is None and to in ("KOORDINASI", "DISPOSISI", "PROSES", "DITOLAK"):
                t["coordinated_at"] = at
            if to == "MENUNGGU_VALIDASI":
                t["proof_submitted_at"] = t["paused_at"] = at
            if src == "MENUNGGU_VALIDASI":
                if t["paused_at"] < t["resolve_due"]:
                    span = at - t["paused_at"]
                    t["resolve_due"] += span
                    t["paused_hours"] += span.total_seconds() / 3600
                t["paused_at"] = None
            if to == "SELESAI":
                t["resolved_at"] = t["closed_at"] = at
            if to == "DITOLAK":
                t["closed_at"] = at
            return True

        events.append(dict(ticket_id=i, kind="created", from_status=None, to_status="MENUNGGU", actor="citizen",
                           reason=None, public=True, data=None, created_at=created))
        if rnd.random() < 0.3:
            event("message", None, rnd.uniform(0, 3))  # noise: not a status change
        r = rnd.random()
        if r < 0.07:
            continue  # still waiting at the kelurahan
        if r < 0.12:
            move("DITOLAK", rnd.expovariate(1 / 5))
            continue
        if not move(rnd.choice(["KOORDINASI", "DISPOSISI", "PROSES"]), rnd.expovariate(1 / 5)):
            continue
        if t["status"] != "PROSES" and rnd.random() < 0.9:
            if t["status"] == "KOORDINASI" and not move("DISPOSISI", rnd.expovariate(1 / 8)):
                continue
            if not move("PROSES", rnd.expovariate(1 / 8)):
                continue
        if t["status"] != "PROSES":
            continue  # stuck between agencies
        if rnd.random() < 0.1:
            event("extend", None, rnd.uniform(1, 100), data='{"hours": 48}')
            t["resolve_due"] += timedelta(hours=48)

        def work() -> None:
            for _attempt in range(4):
                if not move("MENUNGGU_VALIDASI", rnd.expovariate(1 / 70)):
                    return
                v = rnd.random()
                if v < 0.12:
                    return  # waiting for the validators
                if v < 0.32 and _attempt < 3:
                    if not move("TL_DITOLAK", rnd.expovariate(1 / 20)):
                        return
                    if rnd.random() < 0.1:
                        return  # rejected, not picked up again yet
                    if not move("PROSES", rnd.expovariate(1 / 4)):
                        return
                    continue
                move("SELESAI", rnd.expovariate(1 / 20))
                return

        work()
        if t["status"] == "SELESAI" and rnd.random() < 0.08:
            if not event("reopen", "PROSES", rnd.uniform(1, 100)):
                continue
            at = clock[0]
            t.update(reopen_count=t["reopen_count"] + 1, resolved_at=None, closed_at=None, resolve_started_at=at,
                     resolve_due=at + timedelta(hours=168), paused_hours=0.0, paused_at=None)
            if rnd.random() < 0.6:
                work()
    return Data(tickets, events)


def insert_all(conn: Connection, data: Data) -> None:
    """executemany in the caller's (single) transaction."""
    conn.execute(insert(repo.T_REPORTER), [dict(id=1, channel="sms", address="+628110000000", display_name=None,
                                                language="id", opted_out=False, unreachable=False,
                                                created_at=START, updated_at=START)])
    conn.execute(insert(repo.T_TICKET), data.tickets)
    conn.execute(insert(repo.T_EVENT), data.events)
    figures.rebuild(conn)  # rows inserted directly: the kept aggregates recomputed, as after a bulk load


# --- the figures, independently ------------------------------------------------------

def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def expected(data: Data, since: datetime | None, until: datetime | None, by: str,
             now: datetime = NOW) -> dict[Any, dict[str, Any]]:
    field = "agency_code" if by == "agency" else "area_code"
    chosen = {t["id"]: t for t in data.tickets
              if (since is None or t["created_at"] >= since) and (until is None or t["created_at"] < until)}
    groups: dict[Any, list[dict[str, Any]]] = {}
    for t in chosen.values():
        groups.setdefault(t[field], []).append(t)
    selesai: dict[Any, set[int]] = {}
    proofs: dict[Any, int] = {}
    rejected: dict[Any, int] = {}
    for e in data.events:
        t = chosen.get(e["ticket_id"])
        if t is None or e["kind"] != "status":
            continue
        k = t[field]
        if e["to_status"] == "SELESAI":
            selesai.setdefault(k, set()).add(t["id"])
        elif e["to_status"] == "MENUNGGU_VALIDASI":
            proofs[k] = proofs.get(k, 0) + 1
        elif e["to_status"] == "TL_DITOLAK":
            rejected[k] = rejected.get(k, 0) + 1

    out = {}
    for k, ts in groups.items():
        coord = [(t["coordinated_at"] - t["created_at"]).total_seconds() / 3600 for t in ts if t["coordinated_at"]]
        res = [(t["resolved_at"] - t["created_at"]).total_seconds() / 3600 for t in ts if t["resolved_at"]]
        resolved = [t for t in ts if t["resolved_at"]]
        in_sla = [t for t in resolved if t["resolved_at"] <= t["resolve_due"]]
        open_ = [t for t in ts if t["status"] in OPEN]

        def overdue(t: dict[str, Any]) -> bool:
            if t["status"] == "MENUNGGU" and t["coordinate_due"] < now:
                return True
            if t["status"] == "MENUNGGU_VALIDASI":
                return (t["paused_at"] or now) > t["resolve_due"]
            return t["resolve_due"] < now

        reopened = sum(1 for t in ts if t["reopen_count"] > 0)
        ever = len(selesai.get(k, ()))
        p, r = proofs.get(k, 0), rejected.get(k, 0)
        out[k] = dict(
            key=k, tickets=len(ts), coordinated=len(coord),
            coordinate_hours_mean=statistics.fmean(coord) if coord else None, coordinate_hours_p90=_p90(coord),
            resolved=len(resolved), resolve_hours_mean=statistics.fmean(res) if res else None,
            resolve_hours_p90=_p90(res), resolved_within_sla=len(in_sla) / len(resolved) if resolved else None,
            backlog=len(open_), overdue=sum(1 for t in open_ if overdue(t)), reopened=reopened,
            ever_resolved=ever, reopen_rate=reopened / ever if ever else None,
            proofs_submitted=p, proofs_rejected=r, proof_rejection_rate=r / p if p else None,
        )
    return out
