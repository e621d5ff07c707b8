"""Issue 10, problem 10: slow mail is parsed off the event loop, within a time budget and a
bounded number of worker threads, and a huge body no longer costs seconds of GIL-holding regex work.

No wall-clock thresholds: a blocked fake parser proves where parsing runs and
that the budget fires (it cannot finish before the test releases it).
"""
from __future__ import annotations

import asyncio
import threading

from aiosmtpd.smtp import Envelope

from adapters.email.parse import ParserConfig, parse_email
from adapters.email.server import OVER_BUDGET, TEMPFAIL, IntakeHandler
from tests.adapters.email.harness import OUR_ADDRESS, RecordingSink, gateway_settings

NORMAL = (f"From: Warga <warga@example.com>\r\nTo: {OUR_ADDRESS}\r\nSubject: Jalan rusak\r\n"
          "Message-ID: <n-1@example.com>\r\n\r\nJalan rusak di Jl. Kebon Sirih.\r\n").encode()
# Over inline_parse_bytes: parsed by a worker, within the budget (small mail is parsed in the loop).
LARGER = NORMAL + b"Mohon segera diperbaiki, sudah lama rusak.\r\n" * 500


def envelope(raw: bytes) -> Envelope:
    env = Envelope()
    env.mail_from, env.rcpt_tos, env.original_content = "warga@example.com", [OUR_ADDRESS], raw
    return env


def big_qp_mail(size: int = 12_000_000) -> bytes:
    line = "Jalan rusak di depan rumah saya, mohon diperbaiki segera =E2=80=94 terima kasih Bapak/Ibu.=\r\n"
    head = (f"From: warga@example.com\r\nTo: {OUR_ADDRESS}\r\nSubject: Jalan rusak\r\nMessage-ID: <big@example.com>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n")
    return (head + line * (size // len(line))).encode()


async def test_parsing_runs_off_the_loop_while_a_ticker_keeps_running() -> None:
    ticks = 0
    loop_ran = threading.Event()

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            if ticks == 50:
                loop_ran.set()
            await asyncio.sleep(0)

    def slow_parse(raw: bytes, config: ParserConfig, **kw: object):
        # Finishes only once the loop has turned 50 times: impossible if parsing blocked the loop.
        assert loop_ran.wait(60), "the event loop was blocked while parsing"
        return parse_email(raw, config, **kw)

    sink = RecordingSink()
    handler = IntakeHandler(gateway_settings(), sink, parse=slow_parse)
    task = asyncio.create_task(ticker())
    try:
        reply = await handler.handle_DATA(None, None, envelope(LARGER))  # type: ignore[arg-type]
    finally:
        task.cancel()
    assert reply.startswith("250"), reply
    assert ticks >= 50


async def test_a_parse_over_its_budget_is_refused_and_keeps_its_slot_until_it_ends() -> None:
    release = threading.Event()
    calls = 0

    def stuck_parse(raw: bytes, config: ParserConfig, **kw: object):
        nonlocal calls
        calls += 1
        if calls == 1:
            release.wait(60)  # a runaway parse: it cannot be killed, only waited for
        return parse_email(raw, config, **kw)

    sink = RecordingSink()
    settings = gateway_settings(parse_timeout_seconds=0.05, max_parallel_parses=1)
    handler = IntakeHandler(settings, sink, parse=stuck_parse)
    assert await handler.handle_DATA(None, None, envelope(LARGER)) == OVER_BUDGET  # type: ignore[arg-type]
    # The runaway thread still holds the only slot: the next mail is deferred, not parsed in parallel.
    assert await handler.handle_DATA(None, None, envelope(LARGER)) == TEMPFAIL  # type: ignore[arg-type]
    assert calls == 1 and sink.submitted == []
    release.set()
    for _ in range(200):  # the slot frees once the thread ends
        if not handler._slots.locked():
            break
        await asyncio.sleep(0.01)
    handler._budget = 30.0
    assert (await handler.handle_DATA(None, None, envelope(LARGER))).startswith("250")  # type: ignore[arg-type]
    assert len(sink.submitted) == 1


async def test_small_mail_is_parsed_in_the_loop_and_larger_mail_in_a_worker() -> None:
    threads: list[threading.Thread] = []

    def parse(raw: bytes, config: ParserConfig, **kw: object):
        threads.append(threading.current_thread())
        return parse_email(raw, config, **kw)

    sink = RecordingSink()
    handler = IntakeHandler(gateway_settings(inline_parse_bytes=len(NORMAL)), sink, parse=parse)
    for raw in (NORMAL, LARGER):
        assert (await handler.handle_DATA(None, None, envelope(raw))).startswith("250")  # type: ignore[arg-type]
    assert threads[0] is threading.current_thread() and threads[1] is not threading.current_thread()
    assert [m.external_id for m in sink.submitted] == ["n-1@example.com", "n-1@example.com"]

    threads.clear()
    handler = IntakeHandler(gateway_settings(inline_parse_bytes=0), sink, parse=parse)  # 0: always a worker
    assert (await handler.handle_DATA(None, None, envelope(NORMAL))).startswith("250")  # type: ignore[arg-type]
    assert threads[0] is not threading.current_thread()


def test_a_12_mb_quoted_printable_mail_keeps_a_bounded_text_and_says_so() -> None:
    outcome = parse_email(big_qp_mail(), ParserConfig(), envelope_from="warga@example.com")
    assert outcome.kind == "message" and outcome.message is not None
    assert len(outcome.message.text) <= ParserConfig().max_text_chars + 100
    assert outcome.message.text.startswith("Jalan rusak di depan rumah saya, mohon diperbaiki segera —")
    assert "body text longer than 200000 characters: the rest was cut" in outcome.message.reply_context["parse_notes"]
    assert "[body omitted:" in outcome.message.raw  # the raw copy keeps its header only


async def test_a_12_mb_mail_through_the_handler_leaves_the_loop_free() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    sink = RecordingSink()
    handler = IntakeHandler(gateway_settings(), sink)
    task = asyncio.create_task(ticker())
    try:
        reply = await handler.handle_DATA(None, None, envelope(big_qp_mail()))  # type: ignore[arg-type]
    finally:
        task.cancel()
    assert reply.startswith("250"), reply
    assert ticks > 0  # the loop kept turning while the worker thread parsed
    assert len(sink.submitted[0].text) <= 200_100
