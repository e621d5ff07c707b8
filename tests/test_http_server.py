"""The real uvicorn server on 127.0.0.1 as main.py configures it (bot.http.server): oversized headers
get 431, clients that send headers slowly or not at all are disconnected, and X-Forwarded-For from
loopback is not believed by the server (issue 10, problems 9 and 10).

These tests talk to a real socket, so they measure real time; the header deadline is 1 s and the
bounds are generous (several times the deadline) so a loaded machine does not make them flaky.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from typing import Any, AsyncIterator

import uvicorn

from bot.config import HttpConfig
from bot.http.server import server_config

DEADLINE = 1.0
BOUND = 8.0  # seconds within which a slow client must have been dropped


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers 200 with the client address the app sees and the body length it read."""
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = json.dumps({"client": scope["client"][0], "body": size}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@contextlib.asynccontextmanager
async def serving(**http: Any) -> AsyncIterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = HttpConfig(host="127.0.0.1", port=port, header_timeout_seconds=DEADLINE, **http)
    server = uvicorn.Server(server_config(echo_app, config, timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started
    try:
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


async def _read_all(reader: asyncio.StreamReader, limit: float = BOUND) -> bytes:
    data = b""
    with contextlib.suppress(ConnectionError):
        while True:
            chunk = await asyncio.wait_for(reader.read(65536), limit)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data and b"content-length" in data.lower():
                head, _, rest = data.partition(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                if len(rest) >= length:
                    break
    return data


async def test_a_normal_request_and_a_large_body_with_small_headers_pass():
    async with serving() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = b"x" * 300_000
        writer.write(b"POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        answer = await _read_all(reader)
        writer.close()
    assert answer.startswith(b"HTTP/1.1 200")
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["body"] == 300_000


async def test_a_100_kb_header_gets_431_not_200():
    async with serving() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        answer = await _read_all(reader)
        writer.close()
    assert answer.startswith(b"HTTP/1.1 431") or answer == b""
    assert b"200 OK" not in answer


async def test_a_10_mb_header_is_refused_without_reading_it_all():
    async with serving() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: ")
        sent = 0
        with contextlib.suppress(ConnectionError):
            while sent < 10_000_000:
                writer.write(b"a" * 65536)
                await asyncio.wait_for(writer.drain(), BOUND)
                sent += 65536
        answer = await _read_all(reader)
        writer.close()
    assert sent < 10_000_000, "the server kept reading a 10 MB header"
    assert answer.startswith(b"HTTP/1.1 431") or answer == b""


async def _dropped_after(port: int, first: bytes, trickle: bytes) -> float:
    """Seconds until the server closes a connection that sends ``first`` then one byte a second."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(first)
    closed = None
    try:
        for ch in trickle:
            with contextlib.suppress(asyncio.TimeoutError):
                if await asyncio.wait_for(reader.read(1024), 1.0) == b"":
                    closed = time.monotonic()
                    break
            writer.write(bytes([ch]))
            await writer.drain()
            if time.monotonic() - started > BOUND:
                break
    except ConnectionError:
        closed = time.monotonic()
    writer.close()
    assert closed is not None, "the slow client was still connected"
    return closed - started


async def test_eight_clients_sending_headers_a_byte_a_second_are_dropped():
    slow = b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"z" * 60
    async with serving() as port:
        held = await asyncio.gather(*[_dropped_after(port, b"", slow) for _ in range(8)])
    assert all(t < BOUND for t in held), held


async def test_a_silent_connection_is_dropped():
    async with serving() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = time.monotonic()
        data = await asyncio.wait_for(reader.read(10), BOUND)  # b"" once the server closes it
        writer.close()
    assert data == b"" and time.monotonic() - started < BOUND


async def test_slow_headers_on_a_kept_alive_connection_are_dropped_too():
    async with serving(keep_alive_seconds=60) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        first = await _read_all(reader)
        assert first.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        closed = False
        for ch in b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: zzzzzzzzzzzzzzzzzzzz":
            try:
                writer.write(bytes([ch]))
                await writer.drain()
                if await asyncio.wait_for(reader.read(1024), 0.5) == b"":
                    closed = True
                    break
            except asyncio.TimeoutError:
                pass
            except ConnectionError:
                closed = True
                break
            if time.monotonic() - started > BOUND:
                break
        writer.close()
    assert closed


async def test_the_server_ignores_x_forwarded_for_from_loopback():
    async with serving() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n")
        answer = await _read_all(reader)
        writer.close()
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["client"] == "127.0.0.1"
