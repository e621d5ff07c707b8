"""Keep credentials out of log records.

tweepy logs request headers at DEBUG level, ``Authorization: Bearer ...``
included, so a filter on the loggers that can see credentials replaces any
secret value before a handler formats the record.
"""
from __future__ import annotations

import logging

LOGGER_NAME = "adapters.twitter"
# Loggers that emit records carrying request headers or auth state. Filters
# on a logger apply only to records created on that very logger, so each
# emitting module is listed, not a parent.
WATCHED_LOGGERS = (
    LOGGER_NAME,
    "tweepy.asynchronous.client",
    "tweepy.client",
    "tweepy.api",
    "requests_oauthlib.oauth1_auth",
    "oauthlib.oauth1.rfc5849",
)
MASK = "***"


class SecretRedactor(logging.Filter):
    """Replaces secret values in a record's rendered message."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            return True
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, MASK)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True

    def install(self) -> None:
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).addFilter(self)

    def uninstall(self) -> None:
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).removeFilter(self)
