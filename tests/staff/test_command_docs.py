"""The staff command table and help text are generated from the command declarations and cannot drift."""
from __future__ import annotations

import pkgutil

import yaml

import bot.staff.commands as commands_pkg
from bot.staff.commands import ALIASES, BY_NAME, COMMANDS, ENGLISH, help_text, readme_table
from bot.staff.commands.docs import CONFIG, README, config_with_help, readme_with_table
from bot.staff.roles import ROLES

_NOT_COMMANDS = {"base", "parse", "catalog", "shared", "docs"}


def test_readme_table_is_the_generated_one():
    text = README.read_text(encoding="utf-8")
    assert readme_table() in text
    assert readme_with_table(text) == text, "run `make staff-docs`"


def test_shipped_help_is_the_generated_one():
    templates = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["templates"]
    assert templates["id"]["staff_help"] == help_text("id")
    assert templates["en"]["staff_help"] == help_text("en")
    text = CONFIG.read_text(encoding="utf-8")
    assert config_with_help(text) == text, "run `make staff-docs`"


def test_every_command_module_is_in_the_catalog_once():
    modules = {m.name for m in pkgutil.iter_modules(commands_pkg.__path__)} - _NOT_COMMANDS
    assert modules == {c.name.replace("-", "_") for c in COMMANDS}
    assert len(BY_NAME) == len(COMMANDS)


def test_typed_words_and_english_names():
    # The words officers type, as before the commands were split into modules.
    assert ALIASES["view"] == "lihat" and ALIASES["tolaktl"] == "tolak-tl" and ALIASES["reject-proof"] == "tolak-tl"
    assert "foto" not in ALIASES  # a photo shared in a thread, never typed
    assert ENGLISH["tolak-tl"] == "reject-proof" and ENGLISH["bantuan"] == "help"
    assert ALIASES == {
        "lihat": "lihat", "show": "lihat", "view": "lihat", "daftar": "daftar", "list": "daftar",
        "ambil": "ambil", "take": "ambil", "koordinasi": "koordinasi", "coordinate": "koordinasi",
        "disposisi": "disposisi", "dispatch": "disposisi", "proses": "proses", "process": "proses",
        "selesai": "selesai", "done": "selesai", "validasi": "validasi", "validate": "validasi",
        "tolak-tl": "tolak-tl", "tolaktl": "tolak-tl", "reject-proof": "tolak-tl", "tolak": "tolak",
        "reject": "tolak", "catatan": "catatan", "note": "catatan", "balas": "balas", "reply": "balas",
        "perpanjang": "perpanjang", "extend": "perpanjang", "baru": "baru", "new": "baru",
        "bantuan": "bantuan", "help": "bantuan", "tempatkan": "tempatkan", "place": "tempatkan",
        "gabung": "gabung", "merge": "gabung"}
    assert all(c.roles and c.roles <= set(ROLES) for c in COMMANDS)
