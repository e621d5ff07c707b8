"""Intake's possible-duplicate lookups, between a group's commit and the links being written (issue 15).

A group's new tickets are looked up once it has committed and its citizens are answered, never before:

* with ``duplicates.lookup_process`` (the default, on a database another process can open), by a worker
  process on the other core (bot/duplicate_worker.py); the links that have come back are written at the start
  of the next group's transaction, or alone when intake goes quiet;
* otherwise on the writer, at the start of the next group's transaction, with the candidates kept here
  (bot/duplicate_candidates.py).

A group the worker could not look up (it failed, or died) is looked up on the writer from the database.
Nothing here is needed for a citizen's answer: at worst, a stop loses lookups in flight, and the next start
looks the last minutes' tickets up again (``duplicates.recent_to_recheck``).
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from sqlalchemy import Connection

from bot import duplicates
from bot.config import DuplicatesConfig
from bot.duplicate_candidates import KeptCandidates
from bot.duplicate_worker import LookupProcess, can_share
from store.db import Database

log = logging.getLogger(__name__)

MAX_DEATHS = 3


class DuplicateLookups:
    def __init__(self, db: Database, rules: DuplicatesConfig) -> None:
        self.db = db
        self.worker = (LookupProcess(db.url, rules)
                       if rules.enabled and rules.lookup_process and can_share(db.url) else None)
        self.kept = KeptCandidates(rules.text_candidates, duplicates.TEXT_CHARS)  # the writer's, when no worker
        self.to_look_up: list[duplicates.Queued] = []  # on the writer
        self.found: list[duplicates.Link] = []  # by the worker, to be written
        # Each lookup sent, with the worker (``LookupProcess.starts``) it went to.
        self._in_flight: deque[tuple[list[duplicates.Queued], Future[list[duplicates.Link]], int]] = deque()
        self._deaths = 0  # the worker died this many times in a row (without a lookup coming back between)

    async def start(self, now: datetime) -> None:
        """Read the open reports' positions now (in the worker, or for the writer), not at the first reports."""
        if self.worker is not None:
            try:
                self.worker.start(now)
                return
            except Exception:  # noqa: BLE001 - looked up on the writer instead
                log.exception("the duplicate lookup process could not start; looking up on the writer")
                self.worker = None
        try:
            await self.db.write(self.kept.warm, now)
        except Exception:  # noqa: BLE001 - hints only: the cells are then read as needed
            log.exception("the open reports' positions could not be read for the duplicate lookup")

    def committed(self, queued: list[duplicates.Queued]) -> None:
        """A group's new tickets, committed: sent to the worker, or kept for the writer's next transaction."""
        if not queued:
            return
        future = self.worker.submit(queued) if self.worker is not None else None
        if future is None:
            self.to_look_up += queued
            if self.worker is not None:  # it could not take them: dead, or it cannot start
                self._worker_died()
        else:
            assert self.worker is not None
            self._in_flight.append((queued, future, self.worker.starts))

    @property
    def pending(self) -> bool:
        """Lookups not written yet (in flight in the worker, or to be done or written on the writer)."""
        return bool(self.to_look_up or self.found or self._in_flight)

    def take(self) -> tuple[list[duplicates.Queued], list[duplicates.Link], KeptCandidates | None]:
        """What the writer is to do in its next transaction: tickets to look up (with the candidates to use) and
        links the worker found. Hand them back with ``give_back`` if that transaction fails."""
        self._collect()
        queued, found = self.to_look_up, self.found
        self.to_look_up, self.found = [], []
        # With a worker, the writer's rare lookups (a failed group, the start's recheck) read the database: the
        # writer's kept candidates would fall far behind between them.
        return queued, found, (self.kept if self.worker is None else None)

    def give_back(self, queued: list[duplicates.Queued], found: list[duplicates.Link]) -> None:
        self.to_look_up[:0] = queued
        self.found[:0] = found

    async def in_flight_done(self) -> None:
        """Wait for the worker's lookups sent so far."""
        waiting = [asyncio.wrap_future(future) for _, future, _ in self._in_flight]
        if waiting:
            await asyncio.wait(waiting)
        self._collect()

    def _collect(self) -> None:
        """Take the worker's finished lookups, in order; a failed one is left to the writer."""
        while self._in_flight and self._in_flight[0][1].done():
            queued, future, worker_start = self._in_flight.popleft()
            error = future.exception() if not future.cancelled() else asyncio.CancelledError()
            if error is None:
                self.found += future.result()
                self._deaths = 0
                if self.worker is not None:
                    self.worker.looked_up += len(queued)
                continue
            log.error("the duplicate lookup process failed on %d new tickets (%s); looking them up on the writer",
                      len(queued), type(error).__name__)
            self.to_look_up += queued
            if isinstance(error, BrokenProcessPool) and self.worker is not None and worker_start == self.worker.starts:
                self._worker_died()

    def _worker_died(self) -> None:
        """Start a new worker for the next group; after ``MAX_DEATHS`` in a row, look up on the writer: a worker
        that cannot start (or keeps dying) must not cost a spawn per group."""
        assert self.worker is not None
        self.worker.broken()
        self._deaths += 1
        if self._deaths >= MAX_DEATHS:
            log.error("the duplicate lookup process died %d times in a row; looking up on the writer from now on",
                      self._deaths)
            self.worker = None

    async def close(self) -> None:
        if self.worker is not None:
            await asyncio.to_thread(self.worker.close)


def link_committed(conn: Connection, queued: list[duplicates.Queued], kept: KeptCandidates | None = None,
                   found: list[duplicates.Link] | None = None) -> None:
    """Write the links the worker found, and look up and link committed tickets (bot/duplicates.py). They are
    hints for officers: if this fails, the group still commits (and the lookup is redone at the next start,
    ``duplicates.recent_to_recheck``)."""
    if not queued and not found:
        return
    try:
        with conn.begin_nested():
            duplicates.write_links(conn, found or [])
            duplicates.link(conn, queued, kept)
    except Exception:  # noqa: BLE001 - never fail citizens' reports over a hint
        log.exception("possible duplicates of %d new tickets could not be linked", len(queued) + len(found or []))
