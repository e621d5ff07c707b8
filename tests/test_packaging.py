"""`pip install .` gives a working `aduan` command: the wheel holds every package, template,
migration and bundled data file, and the installed command runs away from the checkout.

No network: the wheel is built without build isolation (setuptools and wheel from the test
venv) and installed with --no-deps into a folder; the dependencies come from the test venv.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    # A copy of the tracked tree, so the build leaves no build/ or egg-info in the checkout.
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        if (ROOT / name).exists():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, src / name)  # follows the bundled symlinks like the build does
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                    str(src), "-w", str(out)], check=True, capture_output=True, timeout=300)
    (built,) = out.glob("aduan-*.whl")
    return built


def test_wheel_holds_packages_data_and_no_checkout_clutter(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("bot/cli.py", "adapters/base.py", "store/migrate.py", "scheduler/jobs.py",
                     "store/migrations/env.py", "store/migrations/script.py.mako",
                     "store/migrations/versions/0001_initial_schema.py", "bot/web/templates/base.html",
                     "bot/web/static/aduan.css", "bot/web/messages.yaml", "bot/bundled/config.yaml",
                     "bot/bundled/data/jakarta_areas.csv", "bot/bundled/data/jakarta_kelurahan.geojson",
                     "bot/web/static/lapor_location.js", "bot/web/static/aduan_map.js", "bot/web/static/ticket_map.js",
                     "bot/web/static/lapor.js", "bot/web/static/vendor/leaflet/leaflet.js",
                     "bot/web/static/vendor/leaflet/leaflet.css", "bot/web/static/vendor/leaflet/LICENSE",
                     "bot/web/static/vendor/leaflet/images/marker-icon.png",
                     "bot/web/static/vendor/leaflet/images/marker-icon-2x.png",
                     "bot/web/static/vendor/leaflet/images/marker-shadow.png", "bot/web/static/vendor/README.md",
                     "bot/web/templates/_map_element.html"):
        assert expected in names, expected
    assert not any(n.split("/")[0] in {"tests", "bench", "var", "data"} for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "aduan = bot.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_aduan_runs_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("ADUAN_CONFIG", None)
    work = tmp_path / "elsewhere"
    work.mkdir()

    def aduan(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(target / "bin" / "aduan"), *args], cwd=work, env=env, capture_output=True,
                              text=True, timeout=120)

    version = aduan("--version")
    assert version.returncode == 0 and version.stdout.strip() == "aduan 0.1.0", version.stderr
    missing = aduan("check-config")
    assert missing.returncode == 2 and "aduan init" in missing.stderr
    assert aduan("init", "instance").returncode == 0
    config = str(work / "instance" / "config.yaml")
    checked = aduan("--config", config, "check-config")
    assert checked.returncode == 0 and "config OK" in checked.stdout, checked.stderr
    upgraded = aduan("--config", config, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert (work / "instance" / "var" / "aduan.db").stat().st_size > 0
    # The running code is the installed copy, not the checkout's.
    where = subprocess.run([sys.executable, "-c", "import bot; print(bot.__file__)"], cwd=work, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(target))
