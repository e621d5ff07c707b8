"""Faults for the duplicate lookup's worker process (tests/staff/test_duplicate_worker.py): functions the
spawned worker imports by name."""
from __future__ import annotations

from datetime import datetime
from typing import Any


def fails(tickets: list[dict[str, Any]], now: datetime) -> list[Any]:
    raise RuntimeError("the lookup failed in the worker")
