"""The staff commands, in help order, and what is generated from their declarations.

Adding a command: one module with a ``COMMAND`` declaration, one line here,
its ``staff_usage_<name>`` templates; then ``make staff-docs`` rewrites the
command table in ``bot/staff/README.md`` and the ``staff_help`` texts in
``config.yaml`` (``tests/staff/test_command_docs.py`` fails while they differ).
"""
from __future__ import annotations

from bot.staff.commands import (
    ambil,
    balas,
    bantuan,
    baru,
    catatan,
    daftar,
    disposisi,
    foto,
    gabung,
    koordinasi,
    lihat,
    perpanjang,
    proses,
    selesai,
    tempatkan,
    tolak,
    tolak_tl,
    validasi,
)
from bot.staff.commands.base import ANY_ROLE, ROLES, Command
from bot.staff.commands.parse import GRAMMARS

COMMANDS: tuple[Command, ...] = tuple(m.COMMAND for m in (
    lihat, daftar, ambil, koordinasi, disposisi, proses, selesai, validasi, tolak_tl, tolak, catatan, balas,
    perpanjang, tempatkan, gabung, baru, bantuan, foto))
BY_NAME: dict[str, Command] = {c.name: c for c in COMMANDS}
# What officers may type: each name and alias -> the command's name (``foto`` is not typed).
ALIASES: dict[str, str] = {word: c.name for c in COMMANDS if c.listed for word in (c.name, *c.aliases)}
ENGLISH: dict[str, str] = {c.name: c.english for c in COMMANDS if c.listed}

assert all(c.grammar in GRAMMARS for c in COMMANDS), "a command names an unknown grammar"
assert all(c.roles <= ANY_ROLE for c in COMMANDS), "a command names an unknown role"

_HELP_HEADER = {"id": "Perintah petugas (/aduan ...):", "en": "Officer commands (/aduan ...):"}


def roles_of(name: str) -> frozenset[str]:
    command = BY_NAME.get(name)
    return command.roles if command is not None else frozenset()


def help_text(lang: str) -> str:
    """The staff_help text in ``lang`` ("id" or "en"), from the declarations."""
    en = lang == "en"
    lines = [_HELP_HEADER["en" if en else "id"]]
    for c in COMMANDS:
        if not c.listed or not (c.help_en if en else c.help_id):
            continue
        args = c.args_en if en else c.args_id
        lines.append(f"{c.english if en else c.name}{' ' + args if args else ''} - {c.help_en if en else c.help_id}")
    return "\n".join(lines)


def _who(c: Command) -> str:
    if c.roles == ANY_ROLE:
        return "any role"
    return ", ".join(r for r in ROLES if r in c.roles)


def readme_table() -> str:
    """The command table of bot/staff/README.md."""
    rows = ["| command | who | what |", "|---|---|---|"]
    for c in COMMANDS:
        if not c.listed:
            continue
        words = "\\|".join((c.name, c.english))
        rows.append(f"| `{words}{' ' + c.readme_args if c.readme_args else ''}` | {_who(c)} | {c.readme} |")
    return "\n".join(rows)
