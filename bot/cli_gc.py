"""The cyclic garbage collector paused while a command imports its modules.

Importing allocates hundreds of thousands of long-lived objects (classes, functions, SQLAlchemy and pydantic
metadata) and frees almost none of them, yet triggers ~200 collections that scan them again and again: about a
tenth of ``aduan report``'s start-up. Collection resumes as soon as the imports are done.

A server then moves what start-up left alive out of the collector's sight (``freeze_survivors``): otherwise every
full collection, which a heavy request's allocations trigger (a thousand Open311 records), scans those ~200,000
objects again: 120-200 ms in the gateway at 1,000,000 tickets, against ~2 ms frozen (BENCHMARKS.md).
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic collection inside the block (as it was before, after it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def freeze_survivors() -> int:
    """Collect once, then exempt every object alive now from later collections (``gc.freeze``): for a long-running
    process, after start-up, whose modules, configuration and caches live as long as it does. The count frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
