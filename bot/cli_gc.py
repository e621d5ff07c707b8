"""The cyclic garbage collector paused while a command imports its modules.

Importing allocates hundreds of thousands of long-lived objects (classes, functions, SQLAlchemy and pydantic
metadata) and frees almost none of them, yet triggers ~200 collections that scan them again and again: about a
tenth of ``aduan report``'s start-up. Collection resumes as soon as the imports are done.
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
