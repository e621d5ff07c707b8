"""The container and service files stay consistent with the app: compose.yaml (parsed here; `docker compose
config` too when Docker is installed), the Dockerfile's essentials, and the systemd unit."""
from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_runs_aduan_with_postgresql_15_and_health_checks() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text("utf-8"))
    services = compose["services"]
    assert set(services) == {"aduan", "db"}
    assert services["db"]["image"].startswith("postgres:15")
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    aduan = services["aduan"]
    assert aduan["build"] == "." and aduan["depends_on"]["db"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(aduan["healthcheck"]["test"])
    assert aduan["environment"]["ADUAN_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@db:5432/" in aduan["environment"]["ADUAN_DATABASE_URL"]
    assert "ADUAN_PUBLIC_BASE_URL" in aduan["environment"]
    mounts = {v.split(":")[0]: v.split(":")[1] for v in aduan["volumes"] + services["db"]["volumes"]}
    assert mounts["aduan-var"] == "/srv/aduan/var" and set(compose["volumes"]) == {"pgdata", "aduan-var"}


@pytest.mark.skipif(not shutil.which("docker"), reason="Docker is not installed")
def test_docker_compose_config_validates() -> None:
    """`docker compose config` (the plugin) or `docker-compose config` (Debian's package) accepts the file."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        command = ["docker", "compose"]
    elif shutil.which("docker-compose"):
        command = ["docker-compose"]
    else:
        pytest.skip("neither the docker compose plugin nor docker-compose is installed")
    subprocess.run([*command, "-f", str(ROOT / "compose.yaml"), "config", "-q"], check=True, timeout=60,
                   cwd=ROOT)


def test_dockerfile_is_slim_non_root_with_readyz_healthcheck_and_var_volume() -> None:
    text = (ROOT / "Dockerfile").read_text("utf-8")
    froms = [line.split()[1] for line in text.splitlines() if line.startswith("FROM ")]
    assert froms and all(f == "python:3.11-slim" for f in froms)
    users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0", "0:0"}
    assert "HEALTHCHECK" in text and "/readyz" in text
    assert 'VOLUME ["/srv/aduan/var"]' in text
    assert "requirements-test.lock" not in text  # runtime only


def test_systemd_unit_runs_the_installed_command() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "aduan.service")
    service = unit["Service"]
    assert service["ExecStart"].endswith("aduan serve --no-migrate")
    assert service["ExecStartPre"].endswith("aduan db upgrade")
    assert service["User"] != "root" and unit["Install"]["WantedBy"] == "multi-user.target"
