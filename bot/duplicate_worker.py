"""The possible-duplicate lookup in a process of its own (issue 15; ``duplicates.lookup_process``).

The gateway is one process, bound to one core by the GIL, and the lookup of every new report (bot/duplicates.py)
took 7-14 % of in-process ingest on the writer. The lookup only reads and compares, so it runs here, on the
other core: after a group commits, the writer sends its new tickets (a few fields each) to this worker, and
writes the links that come back at its next commit, or alone when intake goes quiet. The worker keeps the
candidates (bot/duplicate_candidates.py) and reads through connections of its own, which see every committed
ticket: the group's own and everything before them.

If a lookup fails or the worker dies, that group's tickets are looked up on the writer from the database, as
without a worker, and a new worker is started for the next group. An in-memory SQLite database cannot be
shared with another process: there the lookup stays on the writer.
"""
from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy.engine import make_url

from bot import duplicates
from bot.config import DuplicatesConfig
from bot.duplicate_candidates import KeptCandidates
from store.db import Database, is_sqlite

log = logging.getLogger(__name__)

# What the lookup reads of a new ticket (bot.duplicates.find_links and KeptCandidates.catch_up): sent instead of
# the whole ticket, whose text may be a long mail.
LOOKUP_FIELDS = ("id", "latitude", "longitude", "category_code", "area_code", "geo_cell", "created_at")

Finder = Callable[[list[dict[str, Any]], datetime], list[duplicates.Link]]


def can_share(url: str) -> bool:
    """Whether another process can open the same database (not an in-memory SQLite one)."""
    if not is_sqlite(url):
        return True
    database = make_url(url).database
    return bool(database) and database != ":memory:" and "mode=memory" not in url


def lookup_fields(ticket: Mapping[str, Any]) -> dict[str, Any]:
    fields = {key: ticket.get(key) for key in LOOKUP_FIELDS}
    fields["description"] = (ticket.get("description") or "")[:duplicates.TEXT_CHARS]
    return fields


class LookupProcess:
    """One worker process running ``find`` (``_find``: bot.duplicates.find_links with kept candidates)."""

    def __init__(self, url: str, rules: DuplicatesConfig) -> None:
        self.url, self.rules = url, rules
        self._find: Finder = _find  # what the worker runs (a test may put a module-level function of its own)
        self._pool: ProcessPoolExecutor | None = None
        self.starts = 0  # workers started (a restart after a crash counts)
        self.looked_up = 0  # tickets whose links came back from the worker

    def submit(self, queued: Sequence[duplicates.Queued]) -> Future[list[duplicates.Link]] | None:
        """Send committed tickets for their lookup; None when no worker can take them (then the caller looks
        them up itself)."""
        try:
            if self._pool is None:
                self.start(queued[0].now)
            assert self._pool is not None
            return self._pool.submit(self._find, [lookup_fields(q.ticket) for q in queued], queued[0].now)
        except Exception:  # noqa: BLE001 - a worker that cannot start or has died: looked up on the writer
            log.exception("the duplicate lookup process is not available; looking up on the writer")
            self.broken()
            return None

    def broken(self) -> None:
        """The worker died (or cannot start): the next ``submit`` starts a new one."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def start(self, now: datetime) -> None:
        """Start the worker now (it reads the open reports' positions at once), not at the first lookup.
        "spawn", not "fork": the gateway runs threads (the DB writer, readers) whose locks a forked child could
        inherit held."""
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
                                         initargs=(self.url, self.rules, now))
        self._pool.submit(int)  # spawn it now
        self.starts += 1

    def pids(self) -> list[int]:
        return [] if self._pool is None else [p.pid for p in self._pool._processes.values() if p.pid]

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


# --- in the worker process ---------------------------------------------------------------------------------

_state: tuple[Database, DuplicatesConfig, KeptCandidates] | None = None


def _start(url: str, rules: DuplicatesConfig, now: datetime) -> None:
    """Worker start-up: a database of its own, and every open placed report kept (as intake's start did)."""
    global _state
    _end_with_parent()
    db = Database(url)
    kept = KeptCandidates(rules.text_candidates, duplicates.TEXT_CHARS)
    try:
        db.read_blocking(kept.warm, now)
    except Exception:  # noqa: BLE001 - hints only: the cells are then read as needed
        log.exception("the open reports' positions could not be read for the duplicate lookup")
    _state = (db, rules, kept)


def _end_with_parent() -> None:
    """Exit when the gateway is gone: a pool's worker outlives a killed parent (SIGKILL, the OOM killer), and
    each restart would leave one more behind."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _find(tickets: list[dict[str, Any]], now: datetime) -> list[duplicates.Link]:
    assert _state is not None, "the worker's initializer did not run"
    db, rules, kept = _state
    return db.read_blocking(duplicates.find_links, [duplicates.Queued(t, rules, now) for t in tickets], kept)
