"""The production log-redaction filter for channel tests that build adapters without a gateway.

In production ``bot/cli.py`` installs the one filter (bot/logging_setup.py) with the
enabled channels' secrets before any adapter exists; these fixtures do the same.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from adapters.contract import ChannelSpec
from bot.logging_setup import RedactingFilter, redaction_filter, unwatch, watch


@contextmanager
def production_log_redaction(spec: ChannelSpec, settings: Any) -> Iterator[RedactingFilter]:
    flt = redaction_filter(spec.log_secrets(settings))
    watch(flt)
    try:
        yield flt
    finally:
        unwatch(flt)
