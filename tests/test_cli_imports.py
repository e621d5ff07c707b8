"""`aduan report` imports only what it uses (issue 16: a year's report under 1 s, most of it start-up).

The command runs in a fresh interpreter on a migrated database; afterwards none of the gateway's heavy
modules may be loaded: the web app, the channel SDKs, geometry, the scheduler, migrations, templates.
A new top-level import of one of them on the CLI's path (bot.cli, bot.config, bot.logging_setup, the
sub-command parsers, bot.reports and the store modules it reads) shows up here, not as a slower command.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Each costs tens of milliseconds or more to import, and `aduan report` needs none of them.
HEAVY = (
    "fastapi", "starlette", "uvicorn", "httpx", "jinja2", "multipart",  # the web app and its HTTP client
    "telegram", "tweepy", "slack_sdk", "aiohttp", "twilio", "aiosmtpd",  # channel SDKs (adapters.contract.lazy)
    "shapely", "rapidfuzz", "phonenumbers", "PIL",  # geometry, fuzzy matching, redaction, images
    "apscheduler", "alembic",  # the scheduler, migrations (report reads; `aduan db upgrade` migrates)
    "bot.gateway", "bot.intake", "bot.http", "bot.web", "bot.templates", "scheduler",  # the running gateway
)

SCRIPT = """
import json, sys
from bot.cli import main
code = main(sys.argv[1:])
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _report_modules(database_url: str, csv: Path, *args: str) -> tuple[int, set[str]]:
    env = {**os.environ, "ADUAN_DATABASE_URL": database_url}
    env.pop("ADUAN_CONFIG", None)  # the checkout's config.yaml (cwd)
    done = subprocess.run([sys.executable, "-c", SCRIPT, "report", "--csv", str(csv), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["code"], set(result["modules"])


def _loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(m.startswith(name + ".") for m in modules)


def test_report_by_agency_imports_no_heavy_module(database_url: str, tmp_path: Path) -> None:
    code, modules = _report_modules(database_url, tmp_path / "agency.csv", "--since", "2025-12-01",
                                    "--until", "2026-12-01")
    assert code == 0 and (tmp_path / "agency.csv").exists()
    assert "bot.reports" in modules  # the command really ran its figures
    assert [name for name in HEAVY if _loaded(modules, name)] == []


def test_report_by_source_imports_no_heavy_module(database_url: str, tmp_path: Path) -> None:
    # By source the figures are computed from tickets and events (store.reports), not the kept aggregates.
    code, modules = _report_modules(database_url, tmp_path / "source.csv", "--by", "source")
    assert code == 0 and (tmp_path / "source.csv").exists()
    assert [name for name in HEAVY if _loaded(modules, name)] == []


def test_collector_paused_restores_the_collector_as_it_was() -> None:
    import gc

    from bot.cli_gc import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # a caller that had switched it off keeps it off
    finally:
        gc.enable()


def test_freeze_survivors_takes_start_up_objects_out_of_collections() -> None:
    """What is alive when the server has started is frozen (not scanned by later collections); what is made
    afterwards, and cyclic garbage made afterwards, is still collected."""
    import gc
    import weakref

    from bot.cli_gc import freeze_survivors

    class Node:
        pass

    survivor = Node()
    try:
        frozen = freeze_survivors()
        assert frozen == gc.get_freeze_count() > 0
        assert not gc.is_tracked(survivor) or all(survivor is not o for o in gc.get_objects())
        later = Node()
        later.self = later  # a cycle made after start-up
        gone = weakref.ref(later)
        del later
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()
