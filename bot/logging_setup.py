"""Logging that never prints secrets or reporters' addresses.

Our own code logs no personal data; this filter is the safety net for
library chatter (URLs with tokens, addresses in SMTP logs, headers).
"""
from __future__ import annotations

import logging
import os
import re
import sys
from typing import TextIO

_MASKS: list[tuple[re.Pattern[str], str]] = [
    # Telegram bot tokens in API URLs, also percent-encoded (%3A).
    (re.compile(r"bot\d{5,}(?::|%3A)[A-Za-z0-9_-]{20,}"), "bot***"),
    # key=value and header-style secrets.
    (re.compile(r"(?i)\b(authorization|x-api-key|api_key|access_token|token|password|secret)\b([\"']?\s*[:=]\s*[\"']?)"
                r"(?:bearer\s+|basic\s+)?[^\s\"',&]+"), r"\1\2***"),
    # Email addresses and Indonesian phone numbers (reporters' identities).
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<![\w])(?:\+?62|0)8[\d\s\-.]{7,13}\d"), "[phone]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Format each record now and mask it (late formatting could leak lazy args)."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = redact(msg)
        if redacted != msg or record.args:
            record.msg, record.args = redacted, ()
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def setup_logging(stream: TextIO | None = None, level: str | None = None) -> logging.Handler:
    from bot.logctx import ContextFilter
    from bot.logformat import make_formatter

    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(make_formatter())  # ADUAN_LOG_FORMAT=json for one JSON object per line
    handler.addFilter(RedactingFilter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or os.environ.get("ADUAN_LOG_LEVEL", "INFO")).upper())
    # Client libraries log full request URLs at INFO/DEBUG; some contain tokens.
    # aiosmtpd's "mail.log" logs envelope addresses at INFO and bodies at DEBUG.
    for noisy in ("httpx", "httpcore", "telegram", "twilio", "tweepy", "slack_sdk", "aiosqlite", "apscheduler",
                  "mail.log", "alembic.runtime.plugins"):  # alembic: 7 "setup plugin" lines per start
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
