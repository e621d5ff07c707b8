"""The import-linter contracts in .importlinter hold, and they catch a forbidden import.

Adapters never import the core; the contract imports no channel; the core
imports no channel package except through the catalog (issue 12).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("adapters", "bot", "store", "scheduler")
LINT = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
        "--no-cache", "--no-logo"]


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    # grimp reads the files; nothing is imported, so this is quick and side-effect free.
    return subprocess.run([*LINT, str(tree / ".importlinter")], cwd=tree, env={"PYTHONPATH": str(tree), "COLUMNS": "200"},
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the source packages that a test may break."""
    root = tmp_path_factory.mktemp("src")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / ".importlinter", root / ".importlinter")
    return root


def test_the_contracts_hold() -> None:
    result = subprocess.run([*LINT], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("adapters/email/subject.py", "from bot.config import AppConfig", "Channel adapters never import the core"),
        ("adapters/contract/messages.py", "import adapters.slack", "The contract imports no channel package"),
        ("bot/render.py", "from adapters.twilio.gsm import fits_sms", "The core imports no channel package"),
    ],
    ids=["adapter-imports-bot", "contract-imports-a-channel", "core-imports-a-channel"],
)
def test_a_forbidden_import_breaks_a_contract(tree: Path, module: str, line: str, contract: str) -> None:
    path = tree / module
    original = path.read_text(encoding="utf-8")
    path.write_text(original + f"\n{line}  # a forbidden import\n", encoding="utf-8")
    try:
        result = _lint(tree)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [ln for ln in result.stdout.splitlines() if " BROKEN" in ln]
    assert any(ln.startswith(contract) for ln in broken), result.stdout
