"""Issue 16, point 5: send budgets are settings (defaults: the providers' limits), email has no 2/s cap,
and /healthz shows when the shared limiter fell back to per-process limits. No real waiting."""
from __future__ import annotations

import mailbox
from pathlib import Path
from typing import Any

import pytest

from adapters.base import Capabilities
from bot.clock import FakeClock
from bot.config import ConfigError
from bot.gateway import Gateway
from bot.limiter import MemoryBackend, SharedLimiter
from bot.outbox import enqueue
from bot.ratelimit import SendBudget
from tests.conftest import ADMIN_TOKEN, make_config
from tests.test_limiter import Broken, Clock


def test_a_lane_setting_overrides_the_provider_default(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, outbox={"lanes": {"sms": {"rate_per_second": 0.5, "burst": 2,
                                                          "per_recipient_per_second": 0}}})
    budget = SendBudget(overrides=cfg.outbox.budget_overrides())
    provider = Capabilities(rate_per_second=1 / 3, burst=1, per_recipient_per_second=1, per_recipient_burst=2)
    mine = budget.effective("sms", provider)
    assert (mine.rate_per_second, mine.burst, mine.per_recipient_per_second) == (0.5, 2, 0)
    assert mine.per_recipient_burst == 2 and mine.max_text_length == provider.max_text_length  # the rest: the provider's
    assert budget.effective("telegram", provider) == provider


async def test_the_configured_budget_paces_sends_and_zero_means_no_limit(tmp_path: Path) -> None:
    clock = Clock()
    caps = Capabilities(rate_per_second=1000, burst=1000, per_recipient_per_second=1000, per_recipient_burst=1000)
    budget = SendBudget(SharedLimiter(MemoryBackend(), clock=clock),
                        {"sms": {"rate_per_second": 2, "burst": 1}, "email": {"rate_per_second": 0}}, sleep=clock.sleep)
    start = clock.now
    for i in range(5):
        await budget.acquire("sms", f"+62812000000{i}", caps)
    assert clock.now - start == pytest.approx(2.0)  # 1 at once, then one each 0.5 s
    for i in range(500):
        await budget.acquire("email", f"warga{i}@example.com", caps)
    assert clock.now - start == pytest.approx(2.0)  # never paced


def test_a_staff_lane_cannot_carry_its_own_budget(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"lanes.slack:staff: a send budget is the channel's"):
        make_config(tmp_path, outbox={"lanes": {"slack:staff": {"rate_per_second": 5}}})


class Sleeps:
    def __init__(self) -> None:
        self.total = 0.0

    async def __call__(self, seconds: float) -> None:
        self.total += seconds


async def test_email_replies_to_the_maildir_are_not_paced(tmp_path: Path, database_url: str) -> None:
    """The old 2/s cap made 1,000 replies take 500 s; the Maildir has no budget at all."""
    maildir = tmp_path / "mail"
    cfg = make_config(tmp_path, database_url, channels={"email": {"enabled": True, "listen_port": 0,
                                                                  "maildir_path": str(maildir)}})
    gw = Gateway(cfg, clock=FakeClock(), database_url=database_url)
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    sleeps = Sleeps()
    gw.dispatcher.budget = SendBudget(gw.limiter, cfg.outbox.budget_overrides(), sleep=sleeps)
    try:
        def fill(conn: Any) -> None:
            for n in range(300):
                enqueue(conn, gw.clock.now(), channel="email", recipient=f"warga{n}@example.com",
                        text=f"Laporan Anda sudah kami terima (pesan {n}).", kind="status")

        await gw.db.write(fill)
        sent = 0
        while (done := await gw.dispatcher.run_once()) > 0:
            sent += done
    finally:
        await gw.stop()
    assert sent == 300 and len(mailbox.Maildir(str(maildir), create=False)) == 300
    assert sleeps.total == 0.0


async def test_healthz_shows_limits_fell_back_to_per_process(client: Any, gateway: Gateway) -> None:
    admin = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    ok = (await client.get("/healthz", headers=admin)).json()
    assert ok["rate_limits"]["state"] == "ok"
    gateway.limiter.backend = Broken()  # the shared store goes away
    assert await gateway.limiter.pace("send:memory", 10, 1) == 0.0  # sends go on, paced in memory
    body = (await client.get("/healthz", headers=admin)).json()
    assert body["rate_limits"] == {"backend": "redis", "state": "degraded: per-process limits",
                                   "error": "ConnectionError"}
    assert "rate limits: redis unavailable (ConnectionError), limits are per process" in body["problems"]
    assert (await client.get("/healthz")).status_code == 200  # still serving
