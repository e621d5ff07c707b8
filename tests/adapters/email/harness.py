"""Email test harness: corpus rows, a recording IntakeSink, a running gateway
SMTP server, an SMTP client that reports every reply code, and a recording
relay. Everything listens on 127.0.0.1 with a free port.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import ssl
import subprocess
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email import policy
from pathlib import Path
from typing import Any, AsyncIterator

import aiosmtplib
import yaml
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from adapters.email import EmailAdapter, EmailSettings
from adapters.email.parse import ParseOutcome
from bot.models import DeliveryUpdate, InboundMessage
from bot.tracking import find_tracking_id

CORPUS = Path(__file__).parent / "corpus"
OUR_ADDRESS = "dki@jakarta.go.id"
TRUSTED_RELAY = "mx1.jakarta.go.id"  # the authserv-id of the corpus' Authentication-Results


# ------------------------------------------------------------------ corpus


@dataclass
class CorpusCase:
    """One real-world-shaped mail and what must come of it."""

    name: str
    raw: bytes
    expect: dict[str, Any]

    def __str__(self) -> str:  # pytest ids
        return self.name

    @property
    def envelope_from(self) -> str:
        """MAIL FROM as the sending MTA would give it: Return-Path, else From ("" = null sender)."""
        headers = BytesHeaderParser(policy=policy.default).parsebytes(self.raw)
        return_path = str(headers.get("return-path") or "").strip()
        if return_path:
            return return_path.strip("<>").strip()
        match = re.search(r"[\w.+-]+@[\w.-]+", str(headers.get("from") or ""))
        return match.group(0) if match else ""


def load_corpus() -> list[CorpusCase]:
    table = yaml.safe_load((CORPUS / "expected.yaml").read_text("utf-8"))["cases"]
    files = {p.name: p for p in CORPUS.glob("*.eml")}
    missing = sorted(set(files) ^ set(table))
    assert not missing, f"corpus and expected.yaml disagree on: {missing}"
    return [CorpusCase(name, files[name].read_bytes(), table[name] or {}) for name in sorted(files)]


def check_outcome(
    label: str,
    expect: dict[str, Any],
    kind: str,
    message: InboundMessage | None,
    updates: list[DeliveryUpdate],
) -> None:
    """Compare what became of a mail with its expected.yaml row."""
    assert kind == expect["kind"], f"{label}: kind {kind!r}, expected {expect['kind']!r}"
    want_updates = expect.get("updates", [])
    assert len(updates) == len(want_updates), f"{label}: updates {updates}"
    for got, want in zip(updates, want_updates):
        for key, value in want.items():
            assert getattr(got, key) == value, f"{label}: update {key}={getattr(got, key)!r}, expected {value!r}"
    if kind != "message":
        assert message is None, f"{label}: unexpected message {message}"
        return
    assert message is not None
    ctx = message.reply_context
    simple = {
        "sender": message.sender,
        "sender_name": message.sender_name,
        "external_id": message.external_id,
        "subject": ctx.get("subject"),
        "auto_reply": message.auto_reply,
        "auto_reason": ctx.get("auto_reason"),
        "thread_refs": message.thread_refs,
        "tracking_id": ctx.get("tracking_id"),
        "found_tracking_id": find_tracking_id(message.text),
        "photos": len(message.attachments),
        "photo_types": [a.content_type for a in message.attachments],
        "dropped": [d["reason"] for d in ctx.get("attachments_dropped", [])],
        "from": ctx.get("from"),
        "opens_ticket": bool(ctx.get("opens_ticket")),
        "is_reply": ctx.get("is_reply"),
        "auth_verified": ctx.get("auth", {}).get("verified"),
        "auth_aligned": ctx.get("auth", {}).get("aligned"),
        "dmarc": ctx.get("auth", {}).get("dmarc"),
    }
    for key, actual in simple.items():
        if key in expect:
            assert actual == expect[key], f"{label}: {key}={actual!r}, expected {expect[key]!r}"
    if "text_startswith" in expect:
        assert message.text.startswith(expect["text_startswith"]), f"{label}: text={message.text!r}"
    for needle in expect.get("text_contains", []):
        assert needle in message.text, f"{label}: {needle!r} not in {message.text!r}"
    for needle in expect.get("text_not_contains", []):
        assert needle not in message.text, f"{label}: {needle!r} in {message.text!r}"
    notes = " | ".join(ctx.get("parse_notes", []))
    for needle in expect.get("notes_contain", []):
        assert needle in notes, f"{label}: note {needle!r} not in {notes!r}"
    assert message.channel == "email"
    assert message.sender == message.sender.lower()
    for ref in message.thread_refs:
        assert not ref.startswith("<") and not ref.endswith(">"), f"{label}: bracketed ref {ref}"


def outcome_parts(outcome: ParseOutcome) -> tuple[str, InboundMessage | None, list[DeliveryUpdate]]:
    return outcome.kind, outcome.message, outcome.updates


# -------------------------------------------------------------------- sink


@dataclass
class RecordingSink:
    """An in-memory IntakeSink; can fail or hold ``submit`` to test durability."""

    submitted: list[InboundMessage] = field(default_factory=list)
    deliveries: list[DeliveryUpdate] = field(default_factory=list)
    state: dict[str, str] = field(default_factory=dict)
    fail_next: int = 0  # this many submit/record calls raise, like a locked database
    gate: asyncio.Event | None = None  # when set up, submit waits for it
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    calls: int = 0

    async def _maybe_fail(self) -> None:
        self.calls += 1
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_next > 0:
            self.fail_next -= 1
            raise RuntimeError("database is locked")

    async def submit(self, messages: list[InboundMessage]) -> list[object]:
        await self._maybe_fail()
        self.submitted.extend(messages)
        return list(range(len(messages)))

    async def record_delivery(self, updates: list[DeliveryUpdate]) -> None:
        await self._maybe_fail()
        self.deliveries.extend(updates)

    async def get_state(self, key: str) -> str | None:
        return self.state.get(key)

    async def set_state(self, key: str, value: str) -> None:
        self.state[key] = value


# ----------------------------------------------------------------- gateway


def gateway_settings(**overrides: Any) -> EmailSettings:
    """Settings for a gateway on 127.0.0.1 with a free port."""
    values: dict[str, Any] = {"listen_host": "127.0.0.1", "listen_port": 0, "addresses": [OUR_ADDRESS],
                              "trusted_authserv_ids": [TRUSTED_RELAY]}
    values.update(overrides)
    return EmailSettings(**values)


@contextlib.asynccontextmanager
async def running_gateway(
    settings: EmailSettings, sink: RecordingSink, **adapter_kwargs: Any
) -> AsyncIterator[tuple[EmailAdapter, int]]:
    """Run ``EmailAdapter.run_receiver`` in this loop; yields the adapter and its port."""
    adapter = EmailAdapter(settings, **adapter_kwargs)
    task = asyncio.create_task(adapter.run_receiver(sink))
    try:
        _host, port = await asyncio.wait_for(adapter.wait_listening(), 10)
        yield adapter, port
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@dataclass
class SmtpReply:
    """The first failing reply of a conversation, or the final DATA reply."""

    code: int
    text: str
    stage: str  # connect | ehlo | starttls | auth | mail | rcpt | data

    def __str__(self) -> str:
        return f"{self.stage}: {self.code} {self.text}"


async def smtp_deliver(
    port: int,
    raw: bytes,
    *,
    sender: str = "warga@example.com",
    recipients: list[str] | None = None,
    mail_options: list[str] | None = None,
    starttls: ssl.SSLContext | None = None,
    login: tuple[str, str] | None = None,
) -> SmtpReply:
    """One SMTP conversation with the gateway, step by step, reporting where it stopped."""
    client = aiosmtplib.SMTP(
        hostname="127.0.0.1", port=port, start_tls=False, local_hostname="client.test", timeout=10
    )
    stage = "connect"
    try:
        await client.connect()
        stage = "ehlo"
        await client.ehlo()
        if starttls is not None:
            stage = "starttls"
            await client.starttls(tls_context=starttls)
        if login is not None:
            stage = "auth"
            await client.login(*login)
        stage = "mail"
        await client.mail(sender, options=mail_options)
        stage = "rcpt"
        failures: list[aiosmtplib.SMTPResponseException] = []
        recipients = recipients or [OUR_ADDRESS]
        for rcpt in recipients:
            try:
                await client.rcpt(rcpt)
            except aiosmtplib.SMTPRecipientRefused as exc:
                failures.append(exc)
        if len(failures) == len(recipients):
            return SmtpReply(failures[0].code, failures[0].message, "rcpt")
        stage = "data"
        response = await client.data(raw)
        return SmtpReply(response.code, response.message, "data")
    except aiosmtplib.SMTPResponseException as exc:
        return SmtpReply(exc.code, exc.message, stage)
    finally:
        with contextlib.suppress(Exception):
            await client.quit()
        client.close()


# -------------------------------------------------------------------- TLS


def make_self_signed_cert(directory: Path) -> tuple[Path, Path] | None:
    """A throwaway certificate for 127.0.0.1 (cryptography if installed, else the openssl CLI)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    try:
        import datetime as dt

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        import ipaddress

        private = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = dt.datetime.now(dt.timezone.utc)
        certificate = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(private, hashes.SHA256())
        )
        cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
        return cert, key
    except ImportError:
        pass
    if shutil.which("openssl") is None:
        return None
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


# ------------------------------------------------------------------ relay


@dataclass
class RelayRecorder:
    """A tiny aiosmtpd relay on 127.0.0.1 that records what our sender delivered.

    ``rcpt_reply`` / ``data_reply`` / ``mail_reply`` override the answers
    (e.g. "550 5.1.1 <x>: user unknown"). ``users`` enables AUTH.
    """

    rcpt_reply: str | None = None
    data_reply: str | None = None
    mail_reply: str | None = None
    users: dict[str, str] = field(default_factory=dict)
    tls: ssl.SSLContext | None = None  # offer STARTTLS with this server context
    envelopes: list[Envelope] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        self.envelopes.append(envelope)
        return "250 2.0.0 Ok: queued"

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self.users.get(data.login.decode()) == data.password.decode()
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    async def __aenter__(self) -> RelayRecorder:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="relay.test", loop=loop, auth_require_tls=self.tls is not None,
                         tls_context=self.tls, require_starttls=self.tls is not None,
                         authenticator=self._authenticate if self.users else None),
            "127.0.0.1", 0,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


def free_port() -> int:
    """A port with nothing listening (for "relay unavailable")."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
