"""What a staff front desk (Slack, the Telegram group) is built from."""
from __future__ import annotations

from typing import Any

from bot.clock import Clock
from bot.staff.directory import StaffDirectory
from bot.staff.engine import StaffEngine
from store.db import Database


class Desk:
    """A front desk: one channel's adapter in front of the shared command engine."""

    def __init__(self, *, adapter: Any, engine: StaffEngine, directory: StaffDirectory, db: Database,
                 clock: Clock, wake: Any) -> None:
        self.adapter = adapter
        self.engine = engine
        self.directory = directory
        self.db = db
        self.clock = clock
        self.wake = wake
