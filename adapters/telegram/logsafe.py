"""Keep the bot token out of logs.

python-telegram-bot puts the token in every request URL, and httpx logs each
request URL at INFO ("HTTP Request: POST https://.../bot<token>/getUpdates").
PTB also logs its base URLs at DEBUG. A filter on exactly the loggers that emit
these records rewrites the message with the secret masked. Logger filters only
see records created on that logger (not on its children), hence the list.
"""
from __future__ import annotations

import logging
import traceback
from urllib.parse import quote

# Every logger that writes a request URL or our own messages.
LOGGERS = (
    "httpx",
    "telegram",
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.request.BaseRequest",
    "telegram.request.HTTPXRequest",
    "adapters.telegram",
)

MASK = "<redacted>"


class RedactSecrets(logging.Filter):
    """Replace each secret (and its URL-quoted form) in a record with a mask."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        variants = {v for s in secrets if s for v in (s, quote(s, safe=""), quote(s, safe=":"))}
        # Longest first so a secret containing another is masked whole.
        self._secrets = sorted(variants, key=len, reverse=True)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = str(record.msg)
        # Always freeze the text: PTB logs dicts as lazy arguments and mutates them
        # afterwards (get_file puts the token-bearing URL into file_path), so a
        # handler formatting later would see the token.
        record.msg, record.args = self._redact(message), None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when set, so the traceback is masked too.
            record.exc_text = self._redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        elif record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True


def install(secrets: list[str]) -> RedactSecrets:
    """Attach a redacting filter to every logger in ``LOGGERS``."""
    flt = RedactSecrets(secrets)
    for name in LOGGERS:
        logging.getLogger(name).addFilter(flt)
    return flt


def uninstall(flt: RedactSecrets) -> None:
    for name in LOGGERS:
        logging.getLogger(name).removeFilter(flt)
