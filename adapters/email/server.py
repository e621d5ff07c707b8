"""The inbound SMTP server: aiosmtpd protocol instances in the gateway's own loop.

A mail is answered 250 only after ``sink.submit`` (or ``sink.record_delivery``
for bounces) returned, i.e. once it is durable; a failing sink answers 451 so
the sending MTA retries and no mail is lost.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import re
import secrets
import ssl
import weakref
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pydantic import SecretStr

from adapters.contract.channel import IntakeSink
from adapters.email.parse import ParseOutcome, ParserConfig, parse_email
from adapters.email.settings import EmailSettings, SmtpUser, hash_password

log = logging.getLogger(__name__)

TEMPFAIL = "451 4.3.0 Temporary failure, please try again later"
OVER_BUDGET = "554 5.3.4 Message too complex to process (parsing exceeded its time budget)"


@dataclass
class SmtpStats:
    """Counters for /healthz."""

    accepted: int = 0
    delivery_reports: int = 0
    dropped: int = 0
    refused: int = 0
    temp_failed: int = 0
    rcpt_rejected: int = 0


class IntakeHandler:
    """aiosmtpd handler: checks recipients, parses DATA and hands it to the sink."""

    def __init__(
        self,
        settings: EmailSettings,
        sink: IntakeSink,
        *,
        parse: Callable[..., ParseOutcome] = parse_email,
        stats: SmtpStats | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._accepted = set(settings.addresses)
        self._sink = sink
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._config = ParserConfig.from_settings(settings)
        self._parse = parse
        self.stats = stats or SmtpStats()
        self._budget = settings.parse_timeout_seconds
        # Parsing runs in worker threads (or processes); at most this many at once bounds the
        # memory they take (a parse cannot be stopped, so a slot is freed only when it ends).
        self._slots = asyncio.Semaphore(settings.max_parallel_parses)
        self._pool = parse_pool(settings.parse_processes)
        self._inline_bytes = settings.inline_parse_bytes if self._pool is None else 0

    def close(self) -> None:
        """End the parse worker processes (a running parse is not waited for)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.strip().lower() not in self._accepted:
            self.stats.rcpt_rejected += 1
            return "550 5.1.1 Recipient address rejected: no such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            outcome = await self._parse_bounded(raw, envelope)
        except asyncio.TimeoutError as exc:
            self.stats.refused += 1
            log.warning("email: %s", "no parser slot free" if exc.args == ("slots",) else "parse over its time budget")
            return TEMPFAIL if exc.args == ("slots",) else OVER_BUDGET
        except Exception:
            log.exception("email: parsing failed unexpectedly; answering 451 so the sender retries")
            self.stats.temp_failed += 1
            return TEMPFAIL
        if outcome.kind == "refused":
            self.stats.refused += 1
            log.info("email: refused a mail: %s", outcome.smtp_reply)  # no address: logs stay free of personal data
            return outcome.smtp_reply or "554 5.6.0 Message refused"
        if outcome.message is not None:
            outcome.message.received_at = self._clock()
        try:
            if outcome.updates:
                await self._sink.record_delivery(outcome.updates)
            if outcome.message is not None:
                await self._sink.submit([outcome.message])
        except Exception:
            log.exception("email: intake failed; answering 451 so the sender retries")
            self.stats.temp_failed += 1
            return TEMPFAIL
        if outcome.kind == "delivery":
            self.stats.delivery_reports += 1
        elif outcome.kind == "dropped":
            self.stats.dropped += 1
            log.info("email: accepted but not handed to intake: %s", outcome.reason)
        else:
            self.stats.accepted += 1
        return "250 2.0.0 OK: message accepted"

    async def _parse_bounded(self, raw: bytes, envelope: Envelope) -> ParseOutcome:
        """Parse small mail in the loop, larger mail in a worker thread (the loop stays free for /healthz
        and other sessions), within the budget.

        Raises ``TimeoutError("slots")`` when no parser slot frees up in time and
        a plain ``TimeoutError`` when this parse overran the budget.
        """
        if len(raw) <= self._inline_bytes:
            # Small mail: parsed here (bounded by the pre-scan limits), no thread hop.
            return self._parse(raw, self._config, envelope_from=envelope.mail_from, envelope_to=list(envelope.rcpt_tos))
        try:
            await asyncio.wait_for(self._slots.acquire(), self._budget)
        except asyncio.TimeoutError:
            raise asyncio.TimeoutError("slots") from None
        call = functools.partial(self._parse, raw, self._config, envelope_from=envelope.mail_from,
                                 envelope_to=list(envelope.rcpt_tos))
        work = asyncio.ensure_future(asyncio.to_thread(call) if self._pool is None else
                                     asyncio.get_running_loop().run_in_executor(self._pool, call))
        work.add_done_callback(self._parse_ended)
        # shield: on timeout the thread runs on (it cannot be stopped) and keeps its slot until it ends.
        return await asyncio.wait_for(asyncio.shield(work), self._budget)

    def _parse_ended(self, work: asyncio.Future[ParseOutcome]) -> None:
        self._slots.release()
        if not work.cancelled():
            work.exception()  # retrieved, so an overrun parse that failed logs no "never retrieved" warning

    async def handle_exception(self, error: Exception) -> str:
        # aiosmtpd's default answer is "500 Error: (Type) text": a permanent
        # failure that would bounce the mail and leak internals.
        log.error("email: SMTP session error %s", type(error).__name__)
        self.stats.temp_failed += 1
        return TEMPFAIL


# "<dot-atom@dot-atom>" then optional parameters: what nearly every MTA sends in MAIL FROM / RCPT TO.
_SIMPLE_PATH = re.compile(r"\s*<([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                          r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>(.*)", re.DOTALL)


class Smtp(SMTP):
    """aiosmtpd's SMTP, reading a plain ``<local@domain>`` path without the stdlib header parser.

    aiosmtpd parses every MAIL FROM / RCPT TO with ``email._header_value_parser``
    (the ``policy.default`` machinery, a fifth of a mail's protocol cost); a path
    that is a plain dot-atom address gives the same result from one regex, and
    anything else (quoted local parts, source routes, "<>") still goes to aiosmtpd.
    """

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        match = _SIMPLE_PATH.fullmatch(arg or "")
        rest = match.group(2).lstrip(" \t") if match else ""
        if match is None or rest.startswith("("):  # a comment after the path: the stdlib's CFWS rules
            return super()._getaddr(arg)
        address = match.group(1)
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, rest


def parse_pool(processes: int) -> Executor | None:
    """``processes`` parse workers, or None (parse in threads).

    "spawn", not "fork": the gateway runs threads (the DB writer, readers) whose locks
    a forked child could inherit held. A worker imports the email parser once, at start.
    """
    if processes <= 0:
        return None
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"), initializer=_warm)
    for _ in range(processes):
        pool.submit(int)  # start the workers now, not on the first mail (a spawn takes ~0.5 s)
    return pool


def _warm() -> None:
    """Worker start-up: import the parser once."""
    import adapters.email.parse  # noqa: F401


def make_authenticator(settings: EmailSettings) -> Callable[..., AuthResult]:
    """An aiosmtpd authenticator over ``settings.auth_users``; logs names, never passwords."""
    users = {u.username: u for u in settings.auth_users}
    # Unknown names cost a hash check too, so timing does not reveal valid usernames.
    decoy = SmtpUser(username="", password_hash=SecretStr(hash_password(secrets.token_urlsafe(16))))

    def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        username = auth_data.login.decode("utf-8", "replace")
        user = users.get(username)
        ok = user.check(auth_data.password) if user else decoy.check(auth_data.password) and False
        log.info("email: SMTP AUTH %s for user %r", "succeeded" if ok else "failed", username)
        return AuthResult(success=ok, handled=False, auth_data=username if ok else None)

    return authenticate


def make_tls_context(settings: EmailSettings) -> ssl.SSLContext | None:
    """Server-side context for STARTTLS, or None when no certificate is configured."""
    if settings.tls_cert_file is None or settings.tls_key_file is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(settings.tls_cert_file), str(settings.tls_key_file))
    return context


class SmtpServer:
    """Runs aiosmtpd in the current loop until cancelled; retries a failed bind."""

    def __init__(
        self,
        settings: EmailSettings,
        sink: IntakeSink,
        *,
        stats: SmtpStats | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.stats = stats or SmtpStats()
        self.handler = IntakeHandler(settings, sink, stats=self.stats, clock=clock)
        self._authenticator = make_authenticator(settings) if settings.auth_users else None
        self.state = "starting"
        self.changed = asyncio.Event()  # set on every state change (tests, supervisors)
        self.address: tuple[str, int] | None = None
        self.error: str | None = None
        self.listening = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def _protocol(self, loop: asyncio.AbstractEventLoop, tls: ssl.SSLContext | None) -> SMTP:
        s = self.settings
        smtp = Smtp(
            self.handler,
            hostname=s.server_hostname,
            ident="Aduan ESMTP",  # not the library name and version
            data_size_limit=s.max_message_bytes,
            enable_SMTPUTF8=True,
            tls_context=tls,
            require_starttls=s.require_starttls,
            authenticator=self._authenticator,
            auth_required=s.auth_required,
            auth_require_tls=s.auth_require_tls,
            timeout=s.session_timeout_seconds,
            loop=loop,
        )
        self._sessions.add(smtp)
        return smtp

    async def _start(self) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        tls = make_tls_context(self.settings)
        server = await loop.create_server(
            lambda: self._protocol(loop, tls), self.settings.listen_host, self.settings.listen_port
        )
        sockname = server.sockets[0].getsockname()
        self.address = (sockname[0], sockname[1])
        return server

    async def serve_forever(self) -> None:
        """Listen until cancelled, then close the listener and open sessions."""
        try:
            while self._server is None:
                try:
                    self._server = await self._start()
                except (OSError, ssl.SSLError, ValueError) as exc:
                    # Port taken or certificate unreadable: stay alive, show it in
                    # health, and try again (the certificate may be provisioned later).
                    self._set_state("error", f"{type(exc).__name__}: {exc}")
                    log.error("email: cannot listen on %s:%s (%s); retrying in %ss",
                              self.settings.listen_host, self.settings.listen_port, self.error,
                              self.settings.bind_retry_seconds)
                    await asyncio.sleep(self.settings.bind_retry_seconds)
            self._set_state("listening")
            self.listening.set()
            host, port = self.address or (self.settings.listen_host, self.settings.listen_port)
            log.info("email: SMTP server listening on %s:%s", host, port)
            await asyncio.Future()  # until cancelled
        finally:
            await self.close()

    def _set_state(self, state: str, error: str | None = None) -> None:
        self.state, self.error = state, error
        self.changed.set()

    async def close(self) -> None:
        server, self._server = self._server, None
        self._set_state("stopped", self.error)
        self.listening.clear()
        self.handler.close()
        if server is None:
            return
        server.close()
        for session in list(self._sessions):
            # Python 3.12+ wait_closed() waits for open connections: end them.
            if session.transport is not None:
                session.transport.close()
        try:
            await asyncio.wait_for(server.wait_closed(), 5)
        except asyncio.TimeoutError:
            log.warning("email: SMTP sessions still open at shutdown")
