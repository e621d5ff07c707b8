"""Waiting for something that happens on the event loop, without a time budget in the assertion."""
from __future__ import annotations

import asyncio
from typing import Callable


async def eventually(predicate: Callable[[], bool], what: str, *, tries: int = 3000) -> None:
    """Return once ``predicate()`` holds; fail after ``tries`` turns of 10 ms (a hang, not a slow run)."""
    for _ in range(tries):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")
