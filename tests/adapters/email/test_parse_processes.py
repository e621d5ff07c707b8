"""Issue 16: with ``parse_processes`` set, mail is parsed in worker processes beside the gateway's
event loop and DB writer, with the same outcome as in threads."""
from __future__ import annotations

import os

from adapters.email.parse import ParserConfig, parse_email
from adapters.email.server import IntakeHandler, parse_pool
from tests.adapters.email.harness import RecordingSink, gateway_settings
from tests.adapters.email.test_parse_budget import NORMAL, envelope


def _parse_and_tell_pid(raw: bytes, config: ParserConfig, **kw: object):
    outcome = parse_email(raw, config, **kw)
    assert outcome.message is not None
    outcome.message.reply_context["parsed_in"] = os.getpid()
    return outcome


async def test_mail_parsed_in_a_worker_process_reaches_the_sink_like_in_a_thread() -> None:
    results = []
    for processes in (0, 1):
        sink = RecordingSink()
        handler = IntakeHandler(gateway_settings(parse_processes=processes), sink, parse=_parse_and_tell_pid)
        try:
            assert (await handler.handle_DATA(None, None, envelope(NORMAL))).startswith("250")  # type: ignore[arg-type]
        finally:
            handler.close()
        (message,) = sink.submitted
        results.append(message)
    in_thread, in_process = results
    assert in_thread.reply_context.pop("parsed_in") == os.getpid()
    assert in_process.reply_context.pop("parsed_in") != os.getpid()
    in_thread.received_at = in_process.received_at = None
    assert in_process == in_thread


def test_no_pool_without_processes() -> None:
    assert parse_pool(0) is None
