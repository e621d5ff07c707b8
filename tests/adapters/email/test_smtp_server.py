"""Real SMTP conversations with the gateway's server on 127.0.0.1."""
from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from adapters.email import EmailAdapter, SmtpUser, hash_password
from tests.adapters.email.harness import (
    CORPUS,
    OUR_ADDRESS,
    RecordingSink,
    gateway_settings,
    running_gateway,
    smtp_deliver,
)
from tests.harness.channel_cases import assert_no_secrets_logged

GOOD = (
    b"From: Warga Jakarta <warga@example.com>\r\n"
    b"To: dki@jakarta.go.id\r\n"
    b"Subject: Sampah di Jl. Melawai\r\n"
    b"Message-ID: <good-1@example.com>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Sampah menumpuk di depan Pasar Melawai.\r\n"
)
BOUNCE = (CORPUS / "13-postfix-bounce.eml").read_bytes()


def big_mail(size: int) -> bytes:
    line = b"x" * 76 + b"\r\n"
    return GOOD + line * (size // len(line) + 1)


@dataclass
class Conversation:
    label: str
    raw: bytes = GOOD
    sender: str = "warga@example.com"
    recipients: list[str] = field(default_factory=lambda: [OUR_ADDRESS])
    mail_options: list[str] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    sink_failures: int = 0
    code: int = 250
    stage: str = "data"
    submitted: int = 1
    deliveries: int = 0

    def __str__(self) -> str:
        return self.label


CONVERSATIONS = [
    Conversation("accepted after submit"),
    Conversation("recipient is case-insensitive", recipients=["DKI@Jakarta.GO.ID"]),
    Conversation(
        "second configured address",
        recipients=["pengaduan@jakarta.go.id"],
        settings={"addresses": [OUR_ADDRESS, "pengaduan@jakarta.go.id"]},
    ),
    Conversation("wrong recipient gets 550 at RCPT", recipients=["walikota@jakarta.go.id"], code=550, stage="rcpt",
                 submitted=0),
    Conversation("one good and one wrong recipient", recipients=["orang@lain.id", OUR_ADDRESS]),
    Conversation("oversized in DATA gets 552", raw=big_mail(6000), settings={"max_message_bytes": 4096}, code=552,
                 submitted=0),
    Conversation("oversized by declared SIZE gets 552 at MAIL", mail_options=["SIZE=999999"],
                 settings={"max_message_bytes": 4096}, code=552, stage="mail", submitted=0),
    Conversation("sink failure gets 451", sink_failures=1, code=451, submitted=0),
    Conversation("bounce from the null sender is recorded, not submitted", raw=BOUNCE, sender="", submitted=0,
                 deliveries=1),
    Conversation("bounce recording failure gets 451", raw=BOUNCE, sender="", sink_failures=1, code=451, submitted=0),
    Conversation("binary garbage is refused with 554", raw=b"\x00\x01\xfe\xff garbage\r\n" * 50, code=554,
                 submitted=0),
    Conversation("header section over the limit gets 552", raw=b"X-Junk: " + b"a" * 900 + b"\r\n" * 1
                 + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"b" * 500) for i in range(40)) + GOOD,
                 settings={"max_header_bytes": 8192}, code=552, submitted=0),
    # aiosmtpd's own limit: RFC 5321 lines are at most 1000 octets.
    Conversation("line over 1000 octets gets 500", raw=GOOD + b"y" * 5000 + b"\r\n", code=500, submitted=0),
    Conversation("null sender citizen-looking mail is submitted", sender="", submitted=1),
]


@pytest.mark.parametrize("conv", CONVERSATIONS, ids=str)
async def test_conversation(conv: Conversation) -> None:
    sink = RecordingSink(fail_next=conv.sink_failures)
    async with running_gateway(gateway_settings(**conv.settings), sink) as (adapter, port):
        reply = await smtp_deliver(port, conv.raw, sender=conv.sender, recipients=conv.recipients,
                                   mail_options=conv.mail_options)
        # The server is still healthy and takes the next good mail.
        after = await smtp_deliver(port, GOOD.replace(b"good-1", b"good-2"))
    assert (reply.code, reply.stage) == (conv.code, conv.stage), str(reply)
    assert after.code == 250, str(after)
    assert len(sink.submitted) == conv.submitted + 1
    assert len(sink.deliveries) == conv.deliveries
    if conv.code >= 500:
        assert adapter.health()["stats"]["accepted"] == 1  # only the follow-up mail


async def test_250_only_after_submit_returned() -> None:
    sink = RecordingSink(gate=asyncio.Event())
    async with running_gateway(gateway_settings(), sink) as (_adapter, port):
        client = asyncio.create_task(smtp_deliver(port, GOOD))
        await asyncio.wait_for(sink.entered.wait(), 10)
        # submit() is running and has not returned: the client has no answer yet.
        assert not client.done()
        assert sink.submitted == []
        sink.gate.set()  # type: ignore[union-attr]
        reply = await asyncio.wait_for(client, 10)
    assert reply.code == 250
    assert len(sink.submitted) == 1


async def test_received_at_comes_from_the_injected_clock() -> None:
    now = datetime(2024, 6, 3, 2, 12, 44, tzinfo=timezone.utc)
    sink = RecordingSink()
    async with running_gateway(gateway_settings(), sink, clock=lambda: now) as (_adapter, port):
        await smtp_deliver(port, GOOD)
    assert sink.submitted[0].received_at == now


async def test_sink_failure_then_retry_loses_nothing() -> None:
    sink = RecordingSink(fail_next=1)
    async with running_gateway(gateway_settings(), sink) as (adapter, port):
        first = await smtp_deliver(port, GOOD)
        second = await smtp_deliver(port, GOOD)  # the sending MTA retries the same mail
    assert first.code == 451 and first.text.startswith("4.3.0")
    assert second.code == 250
    assert [m.external_id for m in sink.submitted] == ["good-1@example.com"]
    assert adapter.health()["stats"]["temp_failed"] == 1


async def test_smtplib_in_a_thread() -> None:
    """The stdlib client, as a plain MTA would talk, including the null sender."""
    sink = RecordingSink()
    async with running_gateway(gateway_settings(), sink) as (_adapter, port):

        def talk() -> tuple[dict[str, Any], str]:
            with smtplib.SMTP("127.0.0.1", port, local_hostname="mta.test", timeout=10) as smtp:
                refused = smtp.sendmail("", [OUR_ADDRESS], GOOD)
                try:
                    smtp.sendmail("warga@example.com", ["salah@jakarta.go.id"], GOOD)
                except smtplib.SMTPRecipientsRefused as exc:
                    return refused, str(exc.recipients["salah@jakarta.go.id"][0])
            return refused, "no error"

        refused, second = await asyncio.to_thread(talk)
    assert refused == {}
    assert second == "550"
    assert sink.submitted[0].auto_reply is False
    assert sink.submitted[0].reply_context["auto_reason"] == "null-sender"


def client_tls(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


PASSWORD = "rahasia-Relay-2024!"
ENV_PASSWORD = "sandi-dari-env-9f8e"


def auth_settings(cert: tuple[Path, Path], **overrides: Any) -> Any:
    return gateway_settings(
        tls_cert_file=cert[0],
        tls_key_file=cert[1],
        auth_users=[
            SmtpUser(username="relay", password_hash=hash_password(PASSWORD)),
            SmtpUser(username="forwarder", password_env="ADUAN_TEST_SMTP_PW"),
        ],
        **overrides,
    )


@dataclass
class AuthCase:
    label: str
    starttls: bool = True
    login: tuple[str, str] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    code: int = 250
    stage: str = "data"

    def __str__(self) -> str:
        return self.label


AUTH_CASES = [
    AuthCase("STARTTLS without AUTH"),
    AuthCase("STARTTLS and AUTH with a hashed password", login=("relay", PASSWORD)),
    AuthCase("STARTTLS and AUTH with a password from the environment", login=("forwarder", ENV_PASSWORD)),
    AuthCase("wrong password gets 535", login=("relay", "salah"), code=535, stage="auth"),
    AuthCase("unknown user gets 535", login=("nobody", PASSWORD), code=535, stage="auth"),
    AuthCase("AUTH is not offered before STARTTLS", starttls=False, login=("relay", PASSWORD), code=-1,
             stage="auth"),
    AuthCase("auth_required refuses MAIL without AUTH", settings={"auth_required": True}, code=530, stage="mail"),
    AuthCase("auth_required accepts after AUTH", settings={"auth_required": True}, login=("relay", PASSWORD)),
    AuthCase("require_starttls refuses MAIL in clear", starttls=False, settings={"require_starttls": True},
             code=530, stage="mail"),
]


@pytest.mark.parametrize("case", AUTH_CASES, ids=str)
async def test_starttls_and_auth(case: AuthCase, cert: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("ADUAN_TEST_SMTP_PW", ENV_PASSWORD)
    sink = RecordingSink()
    async with running_gateway(auth_settings(cert, **case.settings), sink) as (_adapter, port):
        try:
            reply = await smtp_deliver(port, GOOD, starttls=client_tls(cert[0]) if case.starttls else None,
                                       login=case.login)
        except aiosmtplib.SMTPException as exc:
            # aiosmtplib refuses to log in when the server advertises no AUTH.
            assert "auth" in str(exc).lower()
            reply = None
    if case.code == -1:
        assert reply is None
    else:
        assert reply is not None and (reply.code, reply.stage) == (case.code, case.stage), str(reply)
    assert len(sink.submitted) == (1 if case.code == 250 else 0)
    secrets = [PASSWORD, ENV_PASSWORD]
    secrets += [base64.b64encode(s.encode()).decode() for s in secrets]
    secrets += [base64.b64encode(f"\0relay\0{PASSWORD}".encode()).decode()]
    assert_no_secrets_logged(caplog, secrets)


async def test_health_reports_listening_address() -> None:
    adapter_before = EmailAdapter(gateway_settings())
    assert adapter_before.health()["state"] == "not started"
    async with running_gateway(gateway_settings(), RecordingSink()) as (adapter, port):
        health = adapter.health()
        assert health["state"] == "ok"
        assert health["listening"] == f"127.0.0.1:{port}"
        assert str(health["outbound"]).startswith("maildir:")
    assert adapter.health()["smtp"] == "stopped"
    assert adapter.health()["listening"] is None


async def test_cancel_closes_the_server() -> None:
    async with running_gateway(gateway_settings(), RecordingSink()) as (_adapter, port):
        pass
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_taken_port_is_reported_in_health_not_raised() -> None:
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = blocker.sockets[0].getsockname()[1]
    adapter = EmailAdapter(gateway_settings(listen_port=port, bind_retry_seconds=3600))
    task = asyncio.create_task(adapter.run_receiver(RecordingSink()))
    try:
        await asyncio.wait_for(adapter._server_ready.wait(), 10)
        server = adapter._server
        assert server is not None
        while server.state != "error":
            server.changed.clear()
            await asyncio.wait_for(server.changed.wait(), 10)
        health = adapter.health()
        assert health["state"] == "error" and "Error" in str(health["error"])
        assert not task.done()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        blocker.close()
        await blocker.wait_closed()


async def test_cancel_with_a_session_still_open() -> None:
    async with running_gateway(gateway_settings(), RecordingSink()) as (_adapter, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert (await reader.readline()).startswith(b"220 ")
    # Leaving the block cancelled the receiver; the open session was closed.
    assert await reader.read() == b""
    writer.close()
