"""Aduan: multi-channel citizen-complaint gateway. A thin entry point for a source checkout;
an installed package has the same commands as ``aduan`` (see bot/cli.py).

    python main.py [serve] | db upgrade | db downgrade REV | check-config | report ... | init DIR
"""
from __future__ import annotations

import sys

from bot.cli_gc import collector_paused

with collector_paused():  # start-up: see bot/cli_gc.py
    from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
