"""Logging that never prints secrets or reporters' addresses in library chatter."""
from __future__ import annotations

import logging
import os
import re

# Tokens that libraries may put in URLs or headers (bot tokens, bearer tokens).
_SECRET_PATTERNS = [
    re.compile(r"bot\d{5,}:[A-Za-z0-9_-]{20,}"),  # Telegram bot token in API URLs
    re.compile(r"(?i)(authorization|x-api-key|api_key|token|password|secret)([\"']?\s*[:=]\s*[\"']?)[^\s\"',&]+"),
]


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        redacted = msg
        for pattern in _SECRET_PATTERNS:
            redacted = pattern.sub(lambda m: (m.group(1) + m.group(2) + "***") if m.lastindex and m.lastindex >= 2 else "bot***", redacted)
        if redacted != msg:
            record.msg, record.args = redacted, ()
        return True


def setup_logging() -> None:
    level = os.environ.get("ADUAN_LOG_LEVEL", "INFO").upper()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Client libraries log full request URLs at INFO/DEBUG; some contain tokens.
    # aiosmtpd's "mail.log" logs envelope addresses at INFO and bodies at DEBUG.
    for noisy in ("httpx", "httpcore", "telegram", "twilio", "tweepy", "slack_sdk", "aiosqlite", "apscheduler",
                  "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
