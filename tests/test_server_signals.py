"""`aduan serve` handles SIGTERM/SIGINT itself so shutdown follows the gateway's order (stop intake, finish
transactions, release leases). uvicorn 0.29+ installs its own handlers in ``Server.capture_signals``; the CLI
used to blank ``install_signal_handlers``, which no longer exists, so uvicorn's handlers replaced ours."""
from __future__ import annotations

import signal

import uvicorn

from bot.config import HttpConfig
from bot.http.server import OwnSignalsServer, server_config


async def _app(scope: object, receive: object, send: object) -> None:  # never called: the server is not run
    raise AssertionError("not served")


def _handlers() -> dict[signal.Signals, object]:
    return {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}


def test_own_signals_server_leaves_the_process_signal_handlers_alone() -> None:
    server = OwnSignalsServer(server_config(_app, HttpConfig(host="127.0.0.1", port=0)))
    before = _handlers()
    with server.capture_signals():
        assert _handlers() == before


def test_plain_uvicorn_server_would_replace_them() -> None:
    """The premise of the fix: a plain uvicorn.Server takes SIGTERM for itself while it serves."""
    server = uvicorn.Server(server_config(_app, HttpConfig(host="127.0.0.1", port=0)))
    with server.capture_signals():
        assert signal.getsignal(signal.SIGTERM) == server.handle_exit
