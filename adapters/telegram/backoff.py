"""Growing, capped delays for retries, and reading PTB's RetryAfter."""
from __future__ import annotations

import datetime as dtm
import warnings

from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning


class Backoff:
    """Exponential delays: initial, initial*factor, ... capped at ``maximum``."""

    def __init__(self, initial: float, maximum: float, factor: float = 2.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self._next = initial

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * self.factor, self.maximum)
        return min(delay, self.maximum)

    def reset(self) -> None:
        self._next = self.initial

    def fresh(self) -> Backoff:
        return Backoff(self.initial, self.maximum, self.factor)


def retry_after_seconds(exc: RetryAfter) -> float:
    """Seconds to wait from a RetryAfter, whichever type this PTB version returns."""
    # PTB 22 warns that retry_after will become a timedelta; accept both.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)
