"""Shared end-to-end steps: a gateway with one real channel adapter against a
fake provider, and the staff-side steps (status change, proof, validation)."""
from __future__ import annotations

import io
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

import httpx

from adapters.base import ChannelAdapter
from adapters.partner import PartnerAdapter
from bot.clock import FakeClock
from bot.gateway import Gateway
from bot.ratelimit import SendBudget
from bot.tickets import transition
from store import repo
from tests.conftest import make_config


async def start_gateway(tmp_path: Path, database_url: str, clock: FakeClock, adapter: ChannelAdapter,
                        paths: list[str], **overrides: Any) -> Gateway:
    config = make_config(tmp_path, database_url, **overrides)
    gw = Gateway(config, clock=clock, database_url=database_url,
                 adapters=[(PartnerAdapter(config.channels.partner), []), (adapter, paths)])
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    gw.dispatcher.budget = virtual_budget()
    return gw


@asynccontextmanager
async def running_gateway(tmp_path: Path, database_url: str, clock: FakeClock, adapter: ChannelAdapter,
                          paths: list[str]) -> AsyncIterator[Gateway]:
    """``start_gateway``, stopped on the way out."""
    gw = await start_gateway(tmp_path, database_url, clock, adapter, paths)
    try:
        yield gw
    finally:
        await gw.stop()


def virtual_budget() -> SendBudget:
    """Pacing in virtual time: rate limits are applied, but sleeping costs nothing."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    return SendBudget(clock=lambda: now[0], sleep=sleep)


def asgi_client(gw: Gateway) -> httpx.AsyncClient:
    from bot.http.app import create_app

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(gw)), base_url="http://aduan.test")


async def ticket_count(gw: Gateway) -> int:
    from sqlalchemy import func, select

    return await gw.db.read(lambda c: c.execute(select(func.count()).select_from(repo.T_TICKET)).scalar_one())


async def only_ticket(gw: Gateway) -> Any:
    from sqlalchemy import select

    return await gw.db.read(lambda c: c.execute(select(repo.T_TICKET)).mappings().one())


async def staff_moves(gw: Gateway, tracking_id: str, *statuses: str) -> None:
    """Officers move the ticket (the staff issue adds the commands on top)."""
    def move(conn: Any) -> None:
        for status in statuses:
            t = repo.ticket_by_tracking_id(conn, tracking_id)
            transition(conn, gw.policy, gw.clock.now(), t, status, "staff:e2e")

    await gw.db.write(move)


def jpeg_bytes(colour: str = "green") -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, "JPEG")
    return buf.getvalue()


async def finish_with_proof(gw: Gateway, tracking_id: str) -> str:
    """Proof photo submitted, then validated: the citizen gets it on their channel."""
    stored = gw.media.put(jpeg_bytes())

    def finish(conn: Any) -> None:
        t = repo.ticket_by_tracking_id(conn, tracking_id)
        aid = repo.insert(conn, repo.T_ATTACHMENT, dict(sha256=stored.sha256, content_type=stored.content_type,
                                                        size=stored.size, kind="proof", ticket_id=t["id"],
                                                        created_at=gw.clock.now()))
        t = transition(conn, gw.policy, gw.clock.now(), t, "MENUNGGU_VALIDASI", "staff:e2e")
        transition(conn, gw.policy, gw.clock.now(), t, "SELESAI", "staff:validator", attachment_id=aid)

    await gw.db.write(finish)
    return stored.sha256


async def drain(gw: Gateway, rounds: int = 5) -> None:
    for _ in range(rounds):
        if not await gw.dispatcher.run_once():
            return
