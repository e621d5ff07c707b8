"""Logging that never prints secrets or reporters' addresses: one redaction filter.

Our own code logs no personal data; the filter is the safety net for library
chatter (URLs with tokens, addresses in SMTP logs, headers). It is fed by the
channels' specs (their settings' secrets, their secret patterns, the SDK
loggers that carry them) and by the personal-data redactor. The same filter
object sits on the production handler and on each watched SDK logger: a
logger's filter sees a record when it is created, before lazily formatted
arguments can change (python-telegram-bot mutates dicts it logged).
"""
from __future__ import annotations

import logging
import os
import re
import sys
import traceback
from typing import Any, Iterable, TextIO
from urllib.parse import quote

from bot.channels import log_secrets, secret_patterns, sensitive_loggers

MASK = "<redacted>"

_MASKS: list[tuple[re.Pattern[str], str]] = [
    # key=value and header-style secrets.
    (re.compile(r"(?i)\b(authorization|x-api-key|api_key|access_token|token|password|secret)\b([\"']?\s*[:=]\s*[\"']?)"
                r"(?:bearer\s+|basic\s+)?[^\s\"',&]+"), r"\1\2***"),
    # Email addresses and Indonesian phone numbers (reporters' identities), marked as what they were.
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<![\w])(?:\+?62|0)8[\d\s\-.]{7,13}\d"), "[phone]"),
]


def _redact_personal_data(text: str) -> str:
    """adapters.contract.redact, imported at the first record: phonenumbers' matcher costs ~60 ms of
    start-up, which a command that logs nothing (``aduan report``) should not pay."""
    from adapters.contract.redact import redact

    return redact(text)


class RedactingFilter(logging.Filter):
    """Mask known secrets, secret patterns and personal data in each record, formatted now."""

    def __init__(self, secrets: Iterable[Any] = (), patterns: Iterable[tuple[re.Pattern[str], str]] = ()) -> None:
        super().__init__()
        self._patterns = list(patterns)
        self._secrets: list[str] = []
        self._secret_res: list[re.Pattern[str]] = []
        self.set_secrets(secrets)

    def set_secrets(self, secrets: Iterable[Any]) -> None:
        """Exact secret strings (also URL-quoted) and secret regexes from the enabled channels."""
        values = {v for s in secrets if isinstance(s, str) and s
                  for v in (s, quote(s, safe=""), quote(s, safe=":"))}
        self._secrets = sorted(values, key=len, reverse=True)  # longest first: a secret holding another goes whole
        self._secret_res = [s for s in secrets if isinstance(s, re.Pattern)]

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        for pattern in self._secret_res:
            text = pattern.sub(MASK, text)
        for pattern, replacement in (*self._patterns, *_MASKS):
            text = pattern.sub(replacement, text)
        return _redact_personal_data(text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = str(record.msg)
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when set, so the traceback is masked too.
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def redaction_filter(secrets: Iterable[Any] = ()) -> RedactingFilter:
    """A filter with the catalog's secret patterns and the given secrets."""
    return RedactingFilter(secrets, secret_patterns())


def watch(flt: RedactingFilter) -> None:
    """Put ``flt`` on every SDK logger a channel spec says may carry secrets, replacing an earlier one
    (one filter: an older one without this config's secrets would mask a token by its shape first)."""
    for name in sensitive_loggers()[1]:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, RedactingFilter)]:
            logger.removeFilter(old)
        logger.addFilter(flt)


def unwatch(flt: RedactingFilter) -> None:
    for name in sensitive_loggers()[1]:
        logging.getLogger(name).removeFilter(flt)


def _redaction(handler: logging.Handler) -> RedactingFilter | None:
    """The redaction filter setup_logging attached to ``handler`` (a plain attribute of a stdlib handler)."""
    flt = getattr(handler, "redaction", None)
    return flt if isinstance(flt, RedactingFilter) else None


def setup_logging(stream: TextIO | None = None, level: str | None = None, config: Any = None) -> logging.Handler:
    """The production handler with the one filter; ``config`` adds the enabled channels' secrets."""
    from bot.logctx import ContextFilter
    from bot.logformat import make_formatter

    flt = redaction_filter(log_secrets(config) if config is not None else ())
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(make_formatter())  # ADUAN_LOG_FORMAT=json for one JSON object per line
    handler.addFilter(flt)
    handler.addFilter(ContextFilter())
    setattr(handler, "redaction", flt)  # so the composition root can add secrets later
    root = logging.getLogger()
    for old in root.handlers:
        old_filter = _redaction(old)
        if old_filter is not None:
            unwatch(old_filter)
    root.handlers[:] = [handler]
    root.setLevel((level or os.environ.get("ADUAN_LOG_LEVEL", "INFO")).upper())
    watch(flt)
    # Client libraries log full request URLs at INFO/DEBUG; some contain tokens.
    for noisy in ("httpx", "httpcore", "aiosqlite", "apscheduler", *sensitive_loggers()[0],
                  "alembic.runtime.plugins"):  # alembic: 7 "setup plugin" lines per start
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler


def use_channel_secrets(handler: logging.Handler, config: Any) -> None:
    """Once the config is loaded: mask the enabled channels' secrets too."""
    flt = _redaction(handler)
    if flt is not None:
        flt.set_secrets(log_secrets(config))
