"""Regenerate what is derived from the command declarations: ``python -m bot.staff.commands.docs``.

Rewrites the command table in ``bot/staff/README.md`` (between the
``commands:begin``/``commands:end`` markers) and the shipped ``staff_help``
texts in ``config.yaml`` (``templates.id`` and ``templates.en``). Run by
``make staff-docs``; ``tests/staff/test_command_docs.py`` fails until it is.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from bot.staff.commands.catalog import help_text, readme_table

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "bot" / "staff" / "README.md"
CONFIG = ROOT / "config.yaml"
BEGIN, END = "<!-- commands:begin (generated: make staff-docs) -->", "<!-- commands:end -->"
_HELP_LINE = re.compile(r'^(    staff_help: ).*$', re.M)


def readme_with_table(text: str) -> str:
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{readme_table()}\n{END}{tail}"


def config_with_help(text: str) -> str:
    """config.yaml with its two staff_help lines (id first, then en) regenerated."""
    langs = iter(("id", "en"))
    return _HELP_LINE.sub(lambda m: m.group(1) + json.dumps(help_text(next(langs)), ensure_ascii=False), text, count=2)


def main() -> int:
    README.write_text(readme_with_table(README.read_text(encoding="utf-8")), encoding="utf-8")
    CONFIG.write_text(config_with_help(CONFIG.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
