"""Per-client limits cannot be dodged with X-Forwarded-For, and tracking lookups are rate-limited
(issue 10, problem 9). Time moves only with the FakeClock."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import AppConfig
from tests.web.conftest import WEB_SECRET, hidden, report, web_config

LOOPBACK_XFF = [f"203.0.113.{i}" for i in range(40)]


async def _failed_login(client, xff: str | None = None):
    headers = {"x-forwarded-for": xff} if xff else {}
    form = await client.get("/masuk", headers=headers)
    return await client.post("/masuk", headers=headers, data={
        "csrf": hidden(form.text, "csrf", "/masuk"), "login": "lurah-bangka", "password": "salah-terus"})


async def test_forty_failed_logins_with_rotating_forwarded_for_from_loopback_get_429(client, gateway):
    limit = gateway.config.web.login_failures_per_hour_per_ip
    codes = [(await _failed_login(client, xff)).status_code for xff in LOOPBACK_XFF]
    assert codes[:limit] == [401] * limit
    assert codes[limit:] == [429] * (40 - limit)


async def test_tracking_lookups_get_429_with_retry_after_then_recover(client, gateway, clock):
    tid = await report(gateway)
    limit = gateway.config.web.tracking_lookups_per_minute_per_ip
    paths = [f"/t/{tid}", f"/api/v1/tickets/{tid}", f"/open311/v2/requests/{tid}.json", f"/open311/v2/requests/{tid}.xml"]
    for i in range(limit):
        r = await client.get(paths[i % len(paths)], headers={"x-forwarded-for": f"198.51.100.{i}"})
        assert r.status_code == 200, (i, r.status_code)
    page = await client.get(f"/t/{tid}")
    assert page.status_code == 429 and int(page.headers["retry-after"]) > 0
    assert "Terlalu banyak pencarian nomor laporan" in page.text and "Dinas Lingkungan Hidup" not in page.text
    api = await client.get(f"/api/v1/tickets/{tid}")
    assert api.status_code == 429 and int(api.headers["retry-after"]) > 0
    assert "Coba lagi dalam" in api.json()["detail"] and "Try again in" in api.json()["detail"]
    o311 = await client.get(f"/open311/v2/requests/{tid}.json")
    assert o311.status_code == 429 and o311.headers["retry-after"]
    assert o311.json()[0]["code"] == 429
    xml = await client.get(f"/open311/v2/requests/{tid}.xml")
    assert xml.status_code == 429 and b"<code>429</code>" in xml.content
    typed = await client.get("/t", params={"id": tid.lower()})  # the form only normalises; its target is limited
    assert typed.status_code == 303 and (await client.get(typed.headers["location"])).status_code == 429
    clock.advance(seconds=61)
    assert (await client.get(f"/api/v1/tickets/{tid}")).status_code == 200


async def test_retry_after_counts_down_with_the_clock(client, gateway, clock):
    tid = await report(gateway)
    for _ in range(gateway.config.web.tracking_lookups_per_minute_per_ip):
        await client.get(f"/api/v1/tickets/{tid}")
        clock.advance(seconds=0.5)
    first = int((await client.get(f"/api/v1/tickets/{tid}")).headers["retry-after"])
    clock.advance(seconds=20)
    later = int((await client.get(f"/api/v1/tickets/{tid}")).headers["retry-after"])
    assert 0 < later < first <= 61


class TestTrustedProxy:
    """With http.trusted_proxies set, the client is the right-most address the proxy did not add."""

    @pytest.fixture
    def config(self, tmp_path: Path, database_url: str) -> AppConfig:
        # The per-account limit is set out of the way: these tests are about the per-client one.
        return web_config(tmp_path, database_url, http={"trusted_proxies": ["127.0.0.0/8"]},
                          web={"secret_key": WEB_SECRET, "login_failures_per_hour_per_account": 100})

    async def test_each_forwarded_client_has_its_own_budget(self, client, gateway):
        limit = gateway.config.web.login_failures_per_hour_per_ip
        for _ in range(limit):
            assert (await _failed_login(client, "198.51.100.1")).status_code == 401
        assert (await _failed_login(client, "198.51.100.1")).status_code == 429
        assert (await _failed_login(client, "198.51.100.2")).status_code == 401

    async def test_spoofed_left_entries_do_not_help(self, client, gateway):
        limit = gateway.config.web.login_failures_per_hour_per_ip
        codes = [(await _failed_login(client, f"10.9.9.{i}, 198.51.100.7")).status_code for i in range(limit + 3)]
        assert codes[limit:] == [429] * 3


def test_trusted_proxies_must_be_addresses(tmp_path: Path, database_url: str):
    from bot.config import ConfigError

    with pytest.raises(ConfigError, match="trusted_proxies"):
        web_config(tmp_path, database_url, http={"trusted_proxies": ["*"]})
