"""The uvicorn server and its limits on what a client may hold: header size, header-read time,
idle keep-alive, concurrency, and no implicit trust of X-Forwarded-For.

uvicorn has a keep-alive timeout between requests but no deadline for a request's headers,
and its default HTTP parser (httptools) has no header-size setting: one socket sending a
byte a second, or a 10 MB header, is held as long as the client likes. So the server runs
on uvicorn's h11 protocol, subclassed here with a header deadline and a 431 answer for
oversized headers; h11's own ``max_incomplete_event_size`` stays as a backstop.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any, Iterator

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.config import HttpConfig

log = logging.getLogger(__name__)

_TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
              b"content-length: 34\r\nconnection: close\r\n\r\nrequest headers are too large.\r\n\r\n")
_HEAD_END = re.compile(rb"\r?\n\r?\n")  # h11 accepts bare LF line ends too
# h11 refuses an incomplete head only beyond its own limit; ours must trip first, and a read is at most 256 KiB.
_H11_HEADROOM = 256 * 1024 + 1


class GuardedH11Protocol(H11Protocol):
    """h11 with a deadline for each request's headers and a 431 for headers over the limit."""

    header_timeout: float = 10.0
    max_header_bytes: int = 16_384

    # The ignore is uvicorn's: H11Protocol narrows asyncio's BaseTransport parameter to Transport.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._head_bytes, self._tail = 0, b""
        self._arm()  # a connection that never sends a byte is dropped too

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._arm()
            # Measure the head before h11 parses it: once parsed, the request is already running.
            window = self._tail + data
            end = _HEAD_END.search(window)
            head = self._head_bytes + (end.end() - len(self._tail) if end else len(data))
            if head > self.max_header_bytes:
                self._refuse_head()
                return
            self._head_bytes += len(data)
            self._tail = window[-3:]
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._head_bytes, self._tail = 0, b""
            self._disarm()

    def _refuse_head(self) -> None:
        if not self.transport.is_closing():
            log.info("HTTP request headers over %d bytes refused with 431", self.max_header_bytes)
            self.transport.write(_TOO_LARGE)
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._head_bytes, self._tail = 0, b""  # the next request on this connection: its own count and deadline
        if self.conn.their_state is h11.IDLE:
            self._arm()

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expired(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.info("HTTP client sent no complete request headers within %.0f s; connection closed",
                     self.header_timeout)
            self.transport.close()


def protocol_for(http: HttpConfig) -> type[GuardedH11Protocol]:
    """The protocol class with this config's limits (uvicorn instantiates it per connection)."""
    return type("ConfiguredH11Protocol", (GuardedH11Protocol,),
                {"header_timeout": http.header_timeout_seconds, "max_header_bytes": http.max_header_bytes})


def server_config(app: Any, http: HttpConfig, **overrides: Any) -> uvicorn.Config:
    """uvicorn's settings from ``http``: the only place the server is configured (main.py and tests)."""
    options: dict[str, Any] = dict(
        host=http.host, port=http.port, log_config=None, access_log=False, lifespan="off",
        timeout_graceful_shutdown=10, http=protocol_for(http),
        h11_max_incomplete_event_size=http.max_header_bytes + _H11_HEADROOM,
        timeout_keep_alive=http.keep_alive_seconds, limit_concurrency=http.max_concurrency,
        # X-Forwarded-For is applied by the app only from http.trusted_proxies (bot.http.app);
        # uvicorn's own default would trust it from 127.0.0.1.
        proxy_headers=False, forwarded_allow_ips=None, server_header=False,
    )
    options.update(overrides)
    return uvicorn.Config(app, **options)


class OwnSignalsServer(uvicorn.Server):
    """A uvicorn server that leaves SIGTERM/SIGINT to the caller, so shutdown follows the gateway's order.

    uvicorn (0.29 and later) installs its handlers in ``capture_signals``; the ``install_signal_handlers``
    hook that used to be blanked for this no longer exists, so blanking it had no effect.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
