"""Lazy package exports (PEP 562) for channel packages.

The catalog reads every channel package's ``SPEC`` (a light module) to validate the config and to know
each channel's secrets. The adapter module itself pulls in its provider SDK (python-telegram-bot,
slack_sdk with aiohttp, tweepy, twilio, aiosmtpd...), which costs most of a second of start-up; a
command that never builds an adapter (``aduan report``, ``aduan figures``, ``aduan staff``) should not
pay for it. A package lists what its adapter module exports and imports it on first use.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any, Callable, Iterable


def lazy_exports(package: str, module: str, names: Iterable[str]) -> Callable[[str], Any]:
    """A module-level ``__getattr__`` for ``package`` importing ``names`` from ``module`` on first access."""
    wanted = frozenset(names)

    def __getattr__(name: str) -> Any:
        if name not in wanted:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later lookups are plain attribute reads
        return value

    return __getattr__
