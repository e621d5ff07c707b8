"""The production log handler masks secrets and reporters' addresses."""
from __future__ import annotations

import io
import logging

from bot.logging_setup import setup_logging, unwatch


def test_secrets_and_identities_are_masked():
    out = io.StringIO()
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    handler = setup_logging(out, "DEBUG")
    try:
        log = logging.getLogger("aduan.test")
        log.info("GET https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe")
        log.info("GET /file/bot123456789%3AAAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/photos/x.jpg")
        log.info("headers: %s", {"Authorization": "Bearer s3cr3t-token-value"})
        log.info("retrying with password=hunter2&user=x")
        log.warning("reply to %s and %s failed", "+6281234567890", "siti.rahma@example.com")
        log.warning("sms from 0812-3456-7890")
        try:
            raise ValueError("token=abc123secret for 081299998888")
        except ValueError:
            log.exception("boom")
    finally:
        logging.getLogger().removeHandler(handler)
        unwatch(handler.redaction)  # the filter also sits on SDK loggers; leave them as found
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    text = out.getvalue()
    for leaked in ("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "s3cr3t-token-value", "hunter2", "+6281234567890",
                   "siti.rahma@example.com", "0812-3456-7890", "abc123secret", "081299998888"):
        assert leaked not in text, leaked
    assert "[phone]" in text and "[email]" in text and "bot***" in text
