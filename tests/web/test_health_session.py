"""/healthz details for a staff web session with the admin role, not for other officers."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import _HASH, sign_in, web_config


@pytest.fixture
def config(tmp_path: Path, database_url: str):
    staff = [{"code": "admin-1", "name": "Admin Kota", "role": "admin", "password_hash": _HASH},
             {"code": "dlh-1", "name": "Petugas DLH", "role": "agency_officer", "agency": "DLH",
              "password_hash": _HASH}]
    return web_config(tmp_path, database_url, staff=staff)


async def test_admin_session_sees_health_details(client, clock):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r, _ = await sign_in(client, "admin-1", clock)  # an admin enrols in TOTP on the way
    assert r.status_code == 200 and "aduan_staff" in r.cookies
    body = (await client.get("/healthz")).json()
    assert body["status"] == "ok" and body["channels"]["partner"]["partners"] == ["jaki"]


async def test_officer_session_sees_the_status_alone(client, clock):
    r, _ = await sign_in(client, "dlh-1", clock)
    assert r.status_code == 303
    assert (await client.get("/healthz")).json() == {"status": "ok"}
