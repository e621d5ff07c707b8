"""Outbound mail: Maildir mode, relay mode against a local aiosmtpd, typed errors."""
from __future__ import annotations

import asyncio
import logging
import mailbox
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from adapters.email import EmailAdapter, RelaySettings
from adapters.email.parse import ParserConfig, parse_email
from adapters.email.sender import build_subject
from adapters.errors import PermanentError, RecipientBlocked, SendError, TransientError
from bot.models import OutboundMessage
from tests.adapters.email.harness import RelayRecorder, free_port, gateway_settings
from tests.harness.channel_cases import assert_no_secrets_logged

NOW = datetime(2024, 6, 3, 3, 15, 6, tzinfo=timezone.utc)
TID = "JKT-7K3M-QXP2"
INBOUND_ID = "CAHx3kM8vQ2=pLr5sT0cYfZ1nA7bG4dE9wXkR2uJ6hN3oPq@mail.gmail.com"
JPEG = (Path(__file__).parent / "corpus" / "03-gmail-photo-attachment.eml").read_bytes()  # replaced below


def _photo(tmp_path: Path) -> Path:
    """A real JPEG taken from the corpus, written where the core keeps media."""
    msg = BytesParser(policy=policy.default).parsebytes(JPEG)
    data = next(p.get_payload(decode=True) for p in msg.walk() if p.get_content_type() == "image/jpeg")
    path = tmp_path / "proof.jpg"
    path.write_bytes(data)
    return path


def reply(**overrides: Any) -> OutboundMessage:
    values: dict[str, Any] = dict(
        id=7,
        channel="email",
        recipient="budi.santoso@gmail.com",
        text="Laporan Anda sudah kami terima dengan nomor JKT-7K3M-QXP2.\nStatus: Menunggu.",
        tracking_id=TID,
        reply_context={
            "message_id": INBOUND_ID,
            "references": ["older-1@mail.gmail.com"],
            "subject": "Sampah menumpuk di Jl. Kemang Raya",
        },
    )
    values.update(overrides)
    return OutboundMessage(**values)


def parse_sent(data: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(data)  # type: ignore[return-value]


def check_headers(mail: EmailMessage, returned_id: str) -> None:
    assert mail["Message-ID"] == f"<{returned_id}>"
    assert returned_id.endswith(".aduan@jakarta.go.id")
    assert mail["From"].addresses[0].addr_spec == "dki@jakarta.go.id"
    assert mail["To"] == "budi.santoso@gmail.com"
    assert mail["Subject"] == f"[{TID}] Re: Sampah menumpuk di Jl. Kemang Raya"
    assert mail["In-Reply-To"] == f"<{INBOUND_ID}>"
    assert mail["References"] == f"<older-1@mail.gmail.com> <{INBOUND_ID}>"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail["X-Aduan-Loop"] == "jakarta.go.id"
    assert mail["X-Aduan-Tracking-Id"] == TID
    assert mail["Date"].datetime == NOW
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content_charset() == "utf-8"
    assert "nomor JKT-7K3M-QXP2" in body.get_content()


# ------------------------------------------------------------------ Maildir


async def test_maildir_mode_writes_the_reply_with_headers_and_photo(tmp_path: Path) -> None:
    photo = _photo(tmp_path)
    settings = gateway_settings(maildir_path=tmp_path / "var" / "mail")
    adapter = EmailAdapter(settings, clock=lambda: NOW)
    returned = await adapter.send(reply(media_path=str(photo), media_content_type="image/jpeg"))
    box = mailbox.Maildir(str(tmp_path / "var" / "mail"), create=False)
    keys = box.keys()
    assert len(keys) == 1
    mail = parse_sent(box.get_bytes(keys[0]))
    check_headers(mail, returned)
    attachments = list(mail.iter_attachments())
    assert [(a.get_content_type(), a.get_filename()) for a in attachments] == [("image/jpeg", f"foto-{TID}.jpg")]
    assert attachments[0].get_content() == photo.read_bytes()
    assert adapter.health()["outbound"] == f"maildir:{tmp_path / 'var' / 'mail'}"


async def test_the_sent_id_threads_the_citizens_answer(tmp_path: Path) -> None:
    """Round trip: our Message-ID, as returned by send(), is what an answer's thread_refs carry."""
    settings = gateway_settings(maildir_path=tmp_path / "mail")
    adapter = EmailAdapter(settings, clock=lambda: NOW)
    returned = await adapter.send(reply())
    box = mailbox.Maildir(str(tmp_path / "mail"), create=False)
    sent = parse_sent(box.get_bytes(box.keys()[0]))
    answer = (
        f"From: Budi <budi.santoso@gmail.com>\r\nTo: dki@jakarta.go.id\r\n"
        f"Subject: Re: {sent['Subject']}\r\nMessage-ID: <answer-1@mail.gmail.com>\r\n"
        f"In-Reply-To: {sent['Message-ID']}\r\nReferences: {sent['References']} {sent['Message-ID']}\r\n\r\n"
        f"Belum diangkut.\r\n"
    ).encode()
    outcome = parse_email(answer, ParserConfig.from_settings(settings))
    assert outcome.message is not None
    assert returned in outcome.message.thread_refs
    assert outcome.message.auto_reply is True  # a person's answer: our own headers were not copied
    assert outcome.message.text.startswith(f"[{TID}]")


async def test_maildir_unwritable_is_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    adapter = EmailAdapter(gateway_settings(maildir_path=blocker / "mail"), clock=lambda: NOW)
    with pytest.raises(TransientError):
        await adapter.send(reply())


# -------------------------------------------------------------------- relay


async def test_relay_mode_records_the_exact_message(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    photo = _photo(tmp_path)
    secret = "relay-Pass-77x!"
    async with RelayRecorder(users={"aduan": secret}) as relay:
        settings = gateway_settings(
            relay=RelaySettings(host="127.0.0.1", port=relay.port, security="none", username="aduan",
                                password=secret),
            maildir_path=tmp_path / "unused",
        )
        adapter = EmailAdapter(settings, clock=lambda: NOW)
        returned = await adapter.send(reply(media_path=str(photo)))
    assert relay.logins == ["aduan"]
    (envelope,) = relay.envelopes
    assert envelope.mail_from == "dki@jakarta.go.id"  # not <>: bounces must come back to us
    assert envelope.rcpt_tos == ["budi.santoso@gmail.com"]
    mail = parse_sent(envelope.original_content)
    check_headers(mail, returned)
    (attachment,) = mail.iter_attachments()
    assert attachment.get_content_type() == "image/jpeg"  # sniffed: media_content_type was not given
    assert not (tmp_path / "unused").exists()
    assert adapter.health()["outbound"] == f"relay:127.0.0.1:{relay.port}"
    assert_no_secrets_logged(caplog, [secret])
    assert secret not in repr(settings)


async def test_relay_over_starttls_with_login(cert: tuple[Path, Path], tmp_path: Path) -> None:
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(str(cert[0]), str(cert[1]))
    async with RelayRecorder(users={"aduan": "s3cret"}, tls=server_tls) as relay:
        settings = gateway_settings(relay=RelaySettings(
            host="127.0.0.1", port=relay.port, security="starttls", username="aduan", password="s3cret",
            ca_file=cert[0],
        ))
        returned = await EmailAdapter(settings, clock=lambda: NOW).send(reply())
        # An untrusted certificate is a (retryable) failure, never a silent downgrade.
        untrusted = gateway_settings(relay=RelaySettings(
            host="127.0.0.1", port=relay.port, security="starttls", username="aduan", password="s3cret",
        ))
        with pytest.raises(TransientError):
            await EmailAdapter(untrusted, clock=lambda: NOW).send(reply())
    assert relay.logins == ["aduan"]
    (envelope,) = relay.envelopes
    assert parse_sent(envelope.original_content)["Message-ID"] == f"<{returned}>"


@dataclass
class RelayErrorCase:
    label: str
    relay: dict[str, Any] = field(default_factory=dict)
    error: type[SendError] = TransientError
    unavailable: bool = False
    password: str | None = None

    def __str__(self) -> str:
        return self.label


RELAY_ERRORS = [
    RelayErrorCase("550 user unknown -> RecipientBlocked",
                   {"rcpt_reply": "550 5.1.1 <budi.santoso@gmail.com>: Recipient address rejected: User unknown"},
                   RecipientBlocked),
    RelayErrorCase("550 relaying denied -> PermanentError", {"rcpt_reply": "550 5.7.1 Relaying denied"},
                   PermanentError),
    RelayErrorCase("450 mailbox busy -> TransientError", {"rcpt_reply": "450 4.2.1 Mailbox busy"}),
    RelayErrorCase("554 content rejected -> PermanentError", {"data_reply": "554 5.7.1 Message rejected as spam"},
                   PermanentError),
    RelayErrorCase("451 at DATA -> TransientError", {"data_reply": "451 4.3.0 Try again later"}),
    RelayErrorCase("421 at MAIL -> TransientError", {"mail_reply": "421 4.7.0 Too many connections"}),
    RelayErrorCase("wrong relay password -> TransientError", {"users": {"aduan": "right"}}, password="wrong"),
    RelayErrorCase("relay not listening -> TransientError", unavailable=True),
]


async def test_relay_connections_are_reused(tmp_path: Path) -> None:
    """Issue 16: one TCP connect, EHLO and AUTH serve many replies, not one each."""
    async with RelayRecorder(users={"aduan": "s3cret"}) as relay:
        settings = gateway_settings(relay=RelaySettings(host="127.0.0.1", port=relay.port, security="none",
                                                        username="aduan", password="s3cret"))
        adapter = EmailAdapter(settings, clock=lambda: NOW)
        for i in range(10):
            await adapter.send(reply(id=100 + i, recipient=f"warga{i}@example.com"))
        transport = adapter._transport
        assert relay.logins == ["aduan"] and transport.connections_opened == 1
        assert [e.rcpt_tos for e in relay.envelopes] == [[f"warga{i}@example.com"] for i in range(10)]
        await asyncio.gather(*(adapter.send(reply(id=200 + i, recipient=f"w{i}@example.com")) for i in range(12)))
        assert len(relay.envelopes) == 22 and transport.connections_opened <= transport.pool_size
        await adapter.stop()


async def test_a_relay_connection_that_died_is_replaced(tmp_path: Path) -> None:
    async with RelayRecorder() as relay:
        settings = gateway_settings(relay=RelaySettings(host="127.0.0.1", port=relay.port, security="none"))
        adapter = EmailAdapter(settings, clock=lambda: NOW)
        await adapter.send(reply(id=1))
        transport = adapter._transport
        (idle, _), = transport._idle
        idle.close()  # gone while idle (the relay's idle timeout)
        await adapter.send(reply(id=2))
        (idle, _), = transport._idle

        async def dropped(*args: Any, **kwargs: Any) -> Any:
            import aiosmtplib

            raise aiosmtplib.SMTPServerDisconnected("Connection lost")

        idle.send_message = dropped  # the relay hung up, and the client only learns it on MAIL FROM
        await adapter.send(reply(id=3))
        assert transport.connections_opened == 3 and len(relay.envelopes) == 3
        await adapter.stop()


@pytest.mark.parametrize("case", RELAY_ERRORS, ids=str)
async def test_relay_errors_are_typed(case: RelayErrorCase, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with RelayRecorder(**case.relay) as relay:
        port = free_port() if case.unavailable else relay.port
        settings = gateway_settings(relay=RelaySettings(
            host="127.0.0.1", port=port, security="none", timeout_seconds=10,
            username="aduan" if case.password else None, password=case.password,
        ))
        adapter = EmailAdapter(settings, clock=lambda: NOW)
        with pytest.raises(SendError) as info:
            await adapter.send(reply())
        assert relay.envelopes == []
    assert type(info.value) is case.error, repr(info.value)
    if case.password:
        assert_no_secrets_logged(caplog, [case.password])
        assert case.password not in str(info.value)


# ----------------------------------------------------------- bad messages


@pytest.mark.parametrize(
    "message",
    [
        reply(recipient="not an address"),
        reply(recipient="budi@gmail.com\r\nBcc: victim@example.com"),
        reply(recipient="dki@jakarta.go.id"),  # our own address: a mail loop
        reply(media_path="/nonexistent/proof.jpg"),
    ],
    ids=["invalid address", "header injection", "own address", "missing proof photo"],
)
async def test_unsendable_messages_are_permanent(message: OutboundMessage, tmp_path: Path) -> None:
    adapter = EmailAdapter(gateway_settings(maildir_path=tmp_path / "mail"), clock=lambda: NOW)
    with pytest.raises(PermanentError):
        await adapter.send(message)
    assert not (tmp_path / "mail" / "new").exists() or not list((tmp_path / "mail" / "new").iterdir())


# ------------------------------------------------------------------ subject


@pytest.mark.parametrize(
    ("message", "subject"),
    [
        (reply(), f"[{TID}] Re: Sampah menumpuk di Jl. Kemang Raya"),
        (reply(payload={"subject": "Laporan selesai"}), f"[{TID}] Laporan selesai"),
        (reply(reply_context={}), f"[{TID}] Laporan {TID}"),
        # The citizen answered our mail: no "Re: Re:" and no second tag.
        (reply(reply_context={"subject": f"RE: [{TID}] Laporan {TID}"}), f"[{TID}] Re: Laporan {TID}"),
        (reply(reply_context={"subject": "Re:"}), f"[{TID}] Laporan {TID}"),
        (reply(tracking_id=None, reply_context={}), "Laporan"),
        (reply(payload={"subject": f"[{TID}] Sudah ditangani"}), f"[{TID}] Sudah ditangani"),
        (reply(payload={"subject": "Baris\r\nBcc: x@y.z"}), f"[{TID}] Baris Bcc: x@y.z"),
    ],
    ids=["re original", "payload subject", "default", "no double re", "empty original", "no tracking id",
         "tag already there", "newline stripped"],
)
def test_subject(message: OutboundMessage, subject: str) -> None:
    assert build_subject(message) == subject


def test_capabilities(tmp_path: Path) -> None:
    caps = EmailAdapter.capabilities
    assert caps.supports_photo and caps.split_long_text
    assert caps.max_text_length >= 100_000
    assert EmailAdapter.name == "email"
    relay = EmailAdapter(gateway_settings(relay=RelaySettings(host="127.0.0.1", port=25, security="none")))
    assert (relay.capabilities.rate_per_second, relay.capabilities.burst) == (50.0, 50)  # no 2/s cap (issue 16)
    maildir = EmailAdapter(gateway_settings(maildir_path=tmp_path / "mail"))
    assert maildir.capabilities.rate_per_second == float("inf")


async def test_status_notice_without_an_inbound_mail_is_auto_generated(tmp_path: Path) -> None:
    adapter = EmailAdapter(gateway_settings(maildir_path=tmp_path / "mail"), clock=lambda: NOW)
    await adapter.send(reply(reply_context={}, kind="status"))
    box = mailbox.Maildir(str(tmp_path / "mail"), create=False)
    mail = parse_sent(box.get_bytes(box.keys()[0]))
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["In-Reply-To"] is None and mail["References"] is None


async def test_odd_thread_context_is_sanitised(tmp_path: Path) -> None:
    adapter = EmailAdapter(gateway_settings(maildir_path=tmp_path / "mail"), clock=lambda: NOW)
    context = {"message_id": "not an id\r\nBcc: x@y.z", "references": "<a@b.example> c@d.example", "subject": "Re:"}
    await adapter.send(reply(reply_context=context))
    box = mailbox.Maildir(str(tmp_path / "mail"), create=False)
    mail = parse_sent(box.get_bytes(box.keys()[0]))
    assert mail["In-Reply-To"] is None
    assert mail["References"] == "<a@b.example> <c@d.example>"
    assert mail["Bcc"] is None


def test_a_retry_of_the_same_outbox_message_repeats_its_message_id() -> None:
    """After an ambiguous relay timeout the resend carries the same Message-ID: mail systems drop the copy."""
    from adapters.email.sender import build_email

    settings = gateway_settings()
    now = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    first = build_email(reply(), settings, now=now)
    again = build_email(reply(), settings, now=now)
    other = build_email(reply(id=8), settings, now=now)
    assert first["Message-ID"] == again["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"].endswith(".aduan@jakarta.go.id>")
