"""Outbound mail: build the reply, then hand it to a relay (aiosmtplib) or a local Maildir.

Error mapping for the relay (the dispatcher retries on the type alone):

* connection problems, timeouts, any 4xx, failed AUTH (a configuration
  problem that will be fixed; do not fail every queued reply) -> TransientError
* 550/551/553 with "5.1.x" or "user unknown"/"does not exist" -> RecipientBlocked
  (the mailbox does not exist: the core marks the reporter unreachable)
* any other 5xx -> PermanentError
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import mailbox
import re
import ssl
import time
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

import aiosmtplib

from adapters.contract.errors import PermanentError, RecipientBlocked, SendError, TransientError
from adapters.contract.media import EXTENSIONS, sniff_image_type
from adapters.contract.messages import OutboundMessage
from adapters.email.settings import EmailSettings, RelaySettings
from adapters.email.subject import clean_subject

log = logging.getLogger(__name__)

MAX_REFERENCES = 20  # keep the References header short on very long threads


def build_email(
    message: OutboundMessage,
    settings: EmailSettings,
    *,
    now: datetime,
    media: bytes | None = None,
) -> EmailMessage:
    """The ``EmailMessage`` for one outbound message. Raises PermanentError on a bad recipient."""
    recipient = _recipient(message.recipient)
    context = message.reply_context or {}
    in_reply_to = _ref(context.get("message_id"))
    raw_refs = context.get("references") or []
    references = [r for r in map(_ref, raw_refs.split() if isinstance(raw_refs, str) else raw_refs) if r]
    if in_reply_to:
        references.append(in_reply_to)
    references = list(dict.fromkeys(references))[-MAX_REFERENCES:]

    mail = EmailMessage()
    mail["From"] = Address(display_name=settings.from_name, addr_spec=settings.from_address)
    mail["To"] = recipient
    mail["Subject"] = build_subject(message, settings.tracking_prefix)
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = outbound_message_id(message, recipient, settings.msgid_domain)
    if in_reply_to:
        mail["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        mail["References"] = " ".join(f"<{r}>" for r in references)
    # RFC 3834: a reply to a message is auto-replied; a later status notice is auto-generated.
    mail["Auto-Submitted"] = "auto-replied" if in_reply_to else "auto-generated"
    mail["X-Auto-Response-Suppress"] = "All"  # asks Exchange not to send us out-of-office replies
    mail["X-Aduan-Loop"] = settings.loop_value
    if message.tracking_id:
        mail["X-Aduan-Tracking-Id"] = message.tracking_id
    mail.set_content(message.text, subtype="plain", charset="utf-8")
    if media is not None:
        ctype = message.media_content_type or sniff_image_type(media) or "application/octet-stream"
        maintype, _, subtype = ctype.partition("/")
        mail.add_attachment(
            media, maintype=maintype, subtype=subtype or "octet-stream", filename=_media_name(message, ctype)
        )
    return mail


def build_subject(message: OutboundMessage, prefix: str = "JKT") -> str:
    """``[<tracking id>] <subject>``: the payload's subject, "Re: <original>", or "Laporan <id>"."""
    tracking_id = message.tracking_id
    subject = str(message.payload.get("subject") or "").strip()
    original = str((message.reply_context or {}).get("subject") or "").strip()
    if not subject and original:
        cleaned, _tag = clean_subject(original, prefix)
        subject = f"Re: {cleaned}" if cleaned else ""
    if not subject:
        subject = f"Laporan {tracking_id}" if tracking_id else "Laporan"
    if tracking_id and f"[{tracking_id}]" not in subject:
        subject = f"[{tracking_id}] {subject}"
    return re.sub(r"[\r\n]+", " ", subject)


def outbound_message_id(message: OutboundMessage, recipient: str, domain: str) -> str:
    """A Message-ID that a retry of the same outbox message repeats, so mail systems that
    drop duplicate Message-IDs (Gmail does) drop a resend after an ambiguous relay timeout.

    The digest keeps it unique if outbox ids ever restart (a new database).
    """
    digest = hashlib.sha256(f"{message.id}\0{recipient}\0{message.text}".encode()).hexdigest()[:16]
    return f"<{message.id}.{digest}.aduan@{domain}>"


def message_id_of(mail: EmailMessage) -> str:
    """The Message-ID without angle brackets: what ``send`` returns and inbound thread_refs use."""
    return _bare(str(mail["Message-ID"])) or ""


def _bare(value: object) -> str:
    return str(value or "").strip().lstrip("<").rstrip(">").strip()


def _ref(value: object) -> str:
    """A Message-ID fit for In-Reply-To/References (printable ASCII, no brackets), else ""."""
    bare = _bare(value)
    return bare if re.fullmatch(r"[!-;=?-~]{1,250}", bare) else ""


def _recipient(value: str) -> str:
    address = (value or "").strip()
    if not re.fullmatch(r"[^\s@<>,;\"]+@[^\s@<>,;\"]+\.[^\s@<>,;\"]+", address):
        raise PermanentError("not a valid email address")
    try:
        return str(Address(addr_spec=address))
    except (ValueError, IndexError) as exc:
        raise PermanentError("not a valid email address") from exc


def _media_name(message: OutboundMessage, ctype: str) -> str:
    ext = EXTENSIONS.get(ctype) or Path(message.media_path or "").suffix or ".bin"
    return f"foto-{message.tracking_id}{ext}" if message.tracking_id else f"foto{ext}"


class Transport(Protocol):
    """Where a built mail goes."""

    def describe(self) -> str: ...

    async def deliver(self, mail: EmailMessage) -> None: ...


class MaildirTransport:
    """Writes each mail into a local Maildir (``new/``), for a setup without a relay."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._maildir: mailbox.Maildir | None = None

    def describe(self) -> str:
        return f"maildir:{self.path}"

    def _add(self, data: bytes) -> None:
        if self._maildir is None or not (self.path / "new").is_dir():
            # mailbox.Maildir(create=True) makes neither parents (var/) nor the
            # subfolders of an existing empty folder.
            for sub in ("tmp", "new", "cur"):
                (self.path / sub).mkdir(parents=True, exist_ok=True)
            self._maildir = mailbox.Maildir(str(self.path), create=False)
        self._maildir.add(data)  # written to tmp/, then renamed into new/: readers never see half a mail

    async def deliver(self, mail: EmailMessage) -> None:
        try:
            await asyncio.to_thread(self._add, mail.as_bytes())
        except OSError as exc:
            raise TransientError(f"cannot write to Maildir: {type(exc).__name__}") from exc

    async def close(self) -> None:
        return None


class RelayTransport:
    """Sends through an SMTP relay with aiosmtplib (STARTTLS, implicit TLS or plain).

    Connections are kept and reused (up to ``pool_size`` at once): a reply costs
    MAIL/RCPT/DATA, not a TCP connect, EHLO, TLS handshake and AUTH each. One idle
    for longer than ``max_idle_seconds`` is closed first (relays drop idle clients);
    a reused one the relay dropped anyway is replaced once, at once.
    """

    def __init__(self, relay: RelaySettings, *, sender: str, local_hostname: str, pool_size: int = 4,
                 max_idle_seconds: float = 30.0) -> None:
        self.relay = relay
        self.sender = sender  # MAIL FROM: ours (not <>), so bounces come back to us
        self.local_hostname = local_hostname  # EHLO name; the default getfqdn() can stall on DNS
        self.pool_size = pool_size
        self.max_idle_seconds = max_idle_seconds
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []
        self._slots: asyncio.Semaphore | None = None
        self.connections_opened = 0

    def describe(self) -> str:
        return f"relay:{self.relay.host}:{self.relay.port}"

    def _tls_context(self) -> ssl.SSLContext | None:
        if self.relay.ca_file is None:
            return None
        return ssl.create_default_context(cafile=str(self.relay.ca_file))

    async def _connect(self) -> aiosmtplib.SMTP:
        r = self.relay
        client = aiosmtplib.SMTP(
            hostname=r.host, port=r.port, local_hostname=self.local_hostname, username=r.username,
            password=r.password.get_secret_value() if r.password else None, use_tls=r.security == "tls",
            start_tls=r.security == "starttls", validate_certs=r.validate_certs, tls_context=self._tls_context(),
            timeout=r.timeout_seconds,
        )
        await client.connect()  # EHLO, STARTTLS and AUTH as configured
        self.connections_opened += 1
        return client

    async def _idle_client(self) -> aiosmtplib.SMTP | None:
        while self._idle:
            client, since = self._idle.pop()
            if client.is_connected and time.monotonic() - since < self.max_idle_seconds:
                return client
            await _close_quietly(client)
        return None

    async def deliver(self, mail: EmailMessage) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.pool_size)
        async with self._slots:
            client = await self._idle_client()
            try:
                if client is not None:
                    try:
                        await client.send_message(mail, sender=self.sender)
                    except (aiosmtplib.SMTPServerDisconnected, ConnectionError):
                        await _close_quietly(client)  # the relay dropped an idle connection: one fresh try
                        client = None
                if client is None:
                    client = await self._connect()
                    await client.send_message(mail, sender=self.sender)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a typed error
                if client is not None:
                    await _close_quietly(client)  # never reuse a connection in an unknown state
                if isinstance(exc, SendError):
                    raise
                raise map_smtp_error(exc) from exc
            self._idle.append((client, time.monotonic()))

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client, _ in idle:
            await _close_quietly(client)


async def _close_quietly(client: aiosmtplib.SMTP) -> None:
    try:
        if client.is_connected:
            await asyncio.wait_for(client.quit(), 2)
    except Exception:  # noqa: BLE001 - closing a dead connection
        client.close()


_USER_UNKNOWN = re.compile(r"\b5\.1\.\d+\b|user unknown|unknown user|no such user|does not exist|mailbox unavailable|invalid recipient", re.I)


def map_smtp_error(exc: BaseException) -> SendError:
    """Typed send error for an aiosmtplib / socket failure (see module docstring)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        return map_smtp_error(exc.recipients[0])
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        log.error("email: the relay refused our login (code %s); check relay username/password", exc.code)
        return TransientError(f"relay authentication failed ({exc.code})")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        code, text = exc.code, _one_line(exc.message)
        if 400 <= code < 500 or code < 200:
            return TransientError(f"relay answered {code}: {text}")
        if isinstance(exc, aiosmtplib.SMTPRecipientRefused) and code in (550, 551, 553) and _USER_UNKNOWN.search(text):
            return RecipientBlocked(f"recipient refused {code}: {text}")
        return PermanentError(f"relay answered {code}: {text}")
    if isinstance(exc, (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError)):
        return TransientError(f"relay unavailable: {type(exc).__name__}")
    return TransientError(f"relay error: {type(exc).__name__}")


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()[:300]


def make_transport(settings: EmailSettings) -> Transport:
    """Relay when one is configured, else the local Maildir."""
    if settings.relay is not None:
        return RelayTransport(settings.relay, sender=settings.from_address, local_hostname=settings.server_hostname)
    return MaildirTransport(settings.maildir_path)
