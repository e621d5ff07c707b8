"""One gateway process for multi-process tests: the real app (Gateway, dispatcher, HTTP) on a config
file, run as ``python -m tests.harness.gateway_process CONFIG``. Like ``aduan serve``, except that
callbacks to 127.0.0.1 are allowed (the fake providers listen there) and the scheduler is off."""
from __future__ import annotations

import asyncio
import signal
import sys


async def main(config_path: str) -> None:
    from bot.config import load_config
    from bot.gateway import Gateway
    from bot.http.app import create_app
    from bot.http.server import OwnSignalsServer, server_config

    config = load_config(config_path)
    gateway = Gateway(config, adapter_deps={"allow_private_hosts": True})
    await gateway.start(scheduler=False)
    server = OwnSignalsServer(server_config(create_app(gateway), config.http))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    serving = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await serving
    await gateway.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
