"""Fixtures for the public web face: a config with a web secret and staff accounts,
tickets moved through the CRM lifecycle, forms with their CSRF tokens."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from PIL import Image

from bot.config import AppConfig
from bot.lifecycle import Status
from bot.models import InboundMessage
from bot.tickets import transition
from bot.web.security import hash_password
from store import repo
from tests.conftest import make_config
from tests.memory_adapter import MemoryAdapter

WEB_SECRET = "test-web-secret-0123456789abcdef"
STAFF_PASSWORD = "kata-sandi-rahasia-123"
# Kelurahan Bangka (Mampang Prapatan, Jakarta Selatan) and a kelurahan elsewhere.
BANGKA = "31.74.03.1002"
REPORT_TEXT = "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka Kec. Mampang Prapatan"
_HASH = hash_password(STAFF_PASSWORD)


def web_config(tmp_path: Path, database_url: str, **overrides: Any) -> AppConfig:
    staff = [
        {"code": "lurah-bangka", "name": "Lurah Bangka", "role": "lurah", "area": BANGKA,
         "email": "lurah.bangka@example.go.id", "password_hash": _HASH},
        {"code": "dlh-1", "name": "Petugas DLH", "role": "agency_officer", "agency": "DLH", "password_hash": _HASH},
        {"code": "lurah-gambir", "name": "Lurah Gambir", "role": "lurah", "area": "31.71.01.1001",
         "password_hash": _HASH},
        {"code": "no-password", "name": "Tanpa Sandi", "role": "lurah", "area": BANGKA},
    ]
    # No tile server in tests (no network): the maps draw only the kelurahan outlines.
    base: dict[str, Any] = {"web": {"secret_key": WEB_SECRET, "map": {"tile_url": ""}}, "staff": staff}
    web = {**base["web"], **overrides.pop("web", {})}
    base.update(overrides, web=web)
    return make_config(tmp_path, database_url, **base)


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> AppConfig:
    return web_config(tmp_path, database_url)


def contact_adapters() -> list[tuple[Any, list[str]]]:
    """Email and SMS as in a deployment with both configured: /lapor offers only channels that can send."""
    return [(MemoryAdapter(name="email"), []), (MemoryAdapter(name="sms"), [])]


@pytest.fixture
async def gateway(config: AppConfig, database_url: str, clock: Any, memory: MemoryAdapter) -> Any:
    from adapters.partner import PartnerAdapter
    from bot.gateway import Gateway

    gw = Gateway(config, clock=clock, database_url=database_url,
                 adapters=[(PartnerAdapter(config.channels.partner, allow_private_hosts=True), []),
                           (memory, ["/webhooks/memory"]), *contact_adapters()])
    await gw.start(dispatcher=False, receivers=False, scheduler=False)
    try:
        yield gw
    finally:
        await gw.stop()


def jpeg(size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (30, 120, 60)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="JPEG")
    return buf.getvalue()


async def report(gateway: Any, text: str = REPORT_TEXT, *, sender: str = "+6281200000001", external_id: str = "m-1",
                 channel: str = "memory", **kw: Any) -> str:
    (outcome,) = await gateway.intake.submit([InboundMessage(channel=channel, external_id=external_id, sender=sender,
                                                             text=text, **kw)])
    assert outcome.tracking_id, outcome
    return outcome.tracking_id


async def move(gateway: Any, tracking_id: str, *statuses: str, reason: str | None = None, proof: bytes | None = None) -> None:
    """Walk a ticket through ``statuses``; with ``proof``, attach it as the proof photo on SELESAI."""
    stored = gateway.media.put(proof) if proof else None

    def run(conn: Any) -> None:
        now = gateway.clock.now()
        for status in statuses:
            ticket = repo.ticket_by_tracking_id(conn, tracking_id)
            attachment_id = None
            if status == Status.SELESAI and stored is not None:
                attachment_id = repo.insert(conn, repo.T_ATTACHMENT, dict(
                    sha256=stored.sha256, content_type=stored.content_type, size=stored.size, kind="proof",
                    ticket_id=ticket["id"], created_at=now))
            transition(conn, gateway.policy, now, ticket, status, "staff:test",
                       reason=reason if status in ("DITOLAK", "TL_DITOLAK") else None, attachment_id=attachment_id)

    await gateway.db.write(run)


async def finish(gateway: Any, tracking_id: str, proof: bytes | None = None) -> None:
    await move(gateway, tracking_id, "PROSES", "MENUNGGU_VALIDASI", "SELESAI", proof=proof)


def hidden(html: str, name: str, action: str | None = None) -> str:
    """A hidden field's value, in the form posting to ``action`` if given."""
    if action is not None:
        html = html.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert m, f"no hidden field {name}"
    return m.group(1)


def totp_secret_of(html: str) -> str:
    """The TOTP key printed on the enrolment page (what an officer types instead of scanning the QR code)."""
    m = re.search(r'<code class="secret">([A-Z2-7]+)</code>', html)
    assert m, "no TOTP key on the page"
    return m.group(1)


async def sign_in(client: Any, login: str, clock: Any, *, password: str = STAFF_PASSWORD, secret: str | None = None,
                  next: str = "") -> tuple[Any, str | None]:
    """Sign in as an officer, enrolling in TOTP when the role requires it (or typing a code from ``secret``).

    Returns (the final response, the TOTP secret). Codes come from pyotp at the FakeClock's time."""
    import pyotp

    form = await client.get("/masuk")
    r = await client.post("/masuk", data={"csrf": hidden(form.text, "csrf", "/masuk"), "login": login,
                                          "password": password, "next": next})
    if 'action="/masuk/2fa-baru"' in r.text:
        secret = totp_secret_of(r.text)
        action = "/masuk/2fa-baru"
    elif 'action="/masuk/kode"' in r.text:
        action = "/masuk/kode"
    else:
        return r, secret
    assert secret, "a TOTP code is asked for but no secret was given"
    r = await client.post(action, data={"csrf": hidden(r.text, "csrf", action), "pending": hidden(r.text, "pending", action),
                                        "next": hidden(r.text, "next", action), "code": pyotp.TOTP(secret).at(clock.now())})
    return r, secret


async def csrf_of(client: Any, path: str) -> str:
    r = await client.get(path)
    assert r.status_code == 200, r.text
    return hidden(r.text, "csrf")


class GatewayLifespan:
    """ASGI wrapper: start the gateway on lifespan startup (on the server's own event loop),
    stop it on shutdown. Used where the app runs outside the test's loop (schemathesis, uvicorn)."""

    def __init__(self, app: Any, gateway: Any, *, dispatcher: bool = False) -> None:
        self.app, self.gateway, self.dispatcher = app, gateway, dispatcher
        self.loop: Any = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        import asyncio

        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.loop = asyncio.get_running_loop()
                await self.gateway.start(dispatcher=self.dispatcher, receivers=False, scheduler=False)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.gateway.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def fresh_database_url(migrated_template: str, tmp: Path) -> str:
    """An empty migrated database for a module's own server: the PostgreSQL test database emptied, or a copy
    of the migrated SQLite template."""
    import shutil

    from tests.conftest import TABLES, TEST_PG, _pg_exec

    if TEST_PG:
        _pg_exec(TEST_PG, "TRUNCATE " + ", ".join(TABLES) + " RESTART IDENTITY CASCADE")
        return TEST_PG
    shutil.copy(migrated_template, tmp / "aduan.db")
    return f"sqlite:///{tmp / 'aduan.db'}"


@contextlib.contextmanager
def serve(lifespan: GatewayLifespan, port: int) -> Iterator[None]:
    """uvicorn serving ``lifespan`` on 127.0.0.1:``port`` in a thread, from when it has started to the end."""
    import threading
    import time

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(lifespan, host="127.0.0.1", port=port, lifespan="on", log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=30)
