"""``EmailAdapter``: the email channel seen by the core.

What the core relies on:

* ``send`` returns our Message-ID **without** angle brackets; store it as the
  outbound message's ``external_id``. Inbound ``thread_refs`` (Message-ID,
  In-Reply-To, References, also bracket-free) are matched against it.
* A ``[JKT-XXXX-XXXX]`` subject tag leads the inbound ``text``, so
  ``find_tracking_id(text)`` threads replies whose In-Reply-To Outlook broke.
* ``auto_reply=False`` with ``reply_context["auto_reason"]`` marks automatic
  mail; "out-of-office" should not open a ticket. The per-sender hourly cap on
  our automatic replies is the core's job.
* ``sender`` is the Reply-To address when there is one, else From, taken only
  from the address part (``reply_context["from"]`` keeps a different From);
  a reply from another address is the core's "note" case.
* ``reply_context["auth"]`` is the SPF/DKIM/DMARC verdict of a trusted relay;
  an email STOP counts only when it says ``verified``.
"""
from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, ClassVar

from adapters.contract.channel import Capabilities, ChannelAdapter, IntakeSink
from adapters.contract.errors import PermanentError, TransientError
from adapters.contract.messages import OutboundMessage
from adapters.email.sender import Transport, build_email, make_transport, message_id_of
from adapters.email.server import SmtpServer, SmtpStats
from adapters.email.settings import EmailSettings

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class EmailAdapter(ChannelAdapter):
    """Inbound through our own SMTP server, outbound through a relay or a Maildir."""

    name: ClassVar[str] = "email"
    # Send budgets (outbox.lanes.email.* overrides them): a relay gets 50 mails/s. Relays publish
    # no common figure (Amazon SES sizes each account's rate, 1/s in its sandbox; a Postfix of
    # one's own has no cap), so this is a pace most hosted relays accept, well above what a
    # city's replies need. A local Maildir has no limit. Per recipient: a few at once, then one
    # per 5 s, so a citizen's mailbox is never flooded.
    RELAY_RATE_PER_SECOND: ClassVar[float] = 50.0
    capabilities = Capabilities(
        max_text_length=100_000,
        supports_photo=True,
        max_photo_bytes=10 * 1024 * 1024,
        photo_caption_max=100_000,  # the photo is an attachment of the whole mail
        rate_per_second=RELAY_RATE_PER_SECOND,
        burst=50,
        per_recipient_per_second=0.2,
        per_recipient_burst=3,
        split_long_text=True,
    )

    def __init__(
        self,
        settings: EmailSettings,
        *,
        clock: Callable[[], datetime] | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock or _utcnow
        self._transport = transport or make_transport(settings)
        if settings.relay is None and transport is None:
            self.capabilities = replace(self.capabilities, rate_per_second=math.inf)  # Maildir: no limit
        self._stats = SmtpStats()
        self._server: SmtpServer | None = None
        self._server_ready = asyncio.Event()

    async def run_receiver(self, sink: IntakeSink) -> None:
        """Serve SMTP in this loop until cancelled; mail is acknowledged only once the sink stored it."""
        # aiosmtpd logs envelope addresses at INFO and bodies at DEBUG: reporters' identities.
        mail_log = logging.getLogger("mail.log")
        if mail_log.getEffectiveLevel() < logging.WARNING:
            mail_log.setLevel(logging.WARNING)
        server = SmtpServer(self.settings, sink, stats=self._stats, clock=self._clock)
        self._server = server
        self._server_ready.set()
        await server.serve_forever()

    async def wait_listening(self) -> tuple[str, int]:
        """The bound (host, port) once ``run_receiver`` listens (useful with port 0)."""
        await self._server_ready.wait()
        assert self._server is not None
        await self._server.listening.wait()
        assert self._server.address is not None
        return self._server.address

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.close()
        close = getattr(self._transport, "close", None)
        if close is not None:
            await close()  # the relay connections kept for reuse

    async def send(self, message: OutboundMessage) -> str:
        """Mail one reply; returns its Message-ID without angle brackets."""
        if message.recipient.strip().lower() in self.settings.addresses:
            raise PermanentError("refusing to mail one of our own addresses (mail loop)")
        media = await self._read_media(message.media_path) if message.media_path else None
        try:
            mail = build_email(message, self.settings, now=self._clock(), media=media)
        except (ValueError, TypeError) as exc:
            # A header the email package refuses will not improve on retry.
            raise PermanentError(f"cannot build the email: {type(exc).__name__}") from exc
        await self._transport.deliver(mail)
        message_id = message_id_of(mail)
        log.info("email: sent message %s (outbox id %s) via %s", message_id, message.id, self._transport.describe())
        return message_id

    @staticmethod
    async def _read_media(path: str) -> bytes:
        try:
            return await asyncio.to_thread(Path(path).read_bytes)
        except FileNotFoundError as exc:
            raise PermanentError("proof photo file is missing") from exc
        except OSError as exc:
            raise TransientError(f"cannot read proof photo: {type(exc).__name__}") from exc

    def contact(self, channel: str) -> str | None:
        return ", ".join(self.settings.addresses)

    def health(self) -> dict[str, object]:
        server = self._server
        state = server.state if server else "not started"
        info: dict[str, object] = {
            "state": "ok" if state == "listening" else state,
            "smtp": state,
            "outbound": self._transport.describe(),
            "stats": dict(vars(self._stats)),
        }
        if server and state == "listening" and server.address:
            info["listening"] = f"{server.address[0]}:{server.address[1]}"
        else:
            info["listening"] = None
            info["configured"] = f"{self.settings.listen_host}:{self.settings.listen_port}"
        if server and server.error:
            info["error"] = server.error
        return info
