"""Log line formats: plain text (default) or one JSON object per line (``ADUAN_LOG_FORMAT=json``).

JSON uses python-json-logger. Only the fields listed here are written: library ``extra``
attributes are dropped, since the redaction filter masks the message and traceback, not
arbitrary attributes a library may attach to a record.
"""
from __future__ import annotations

import logging
import os
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message", "request_id", "tracking_id", "exc_info")


class AduanJsonFormatter(JsonFormatter):
    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        renamed = {"asctime": "time", "levelname": "level", "name": "logger"}
        return {renamed.get(k, k): log_data[k] for k in JSON_FIELDS if log_data.get(k) is not None}


class TextFormatter(logging.Formatter):
    """The plain format, with the request and ticket appended when a line concerns one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        tags = [f"{k}={v}" for k in ("request_id", "tracking_id") if (v := getattr(record, k, None))]
        return f"{line} [{' '.join(tags)}]" if tags else line


def make_formatter(kind: str | None = None) -> logging.Formatter:
    kind = (kind or os.environ.get("ADUAN_LOG_FORMAT") or "text").lower()
    if kind == "json":
        return AduanJsonFormatter(list(JSON_FIELDS))
    if kind != "text":  # a typo must not stop the gateway: say so on stderr, keep plain text
        print(f"ADUAN_LOG_FORMAT={kind!r} is not text or json; logging plain text", file=sys.stderr)
    return TextFormatter(TEXT_FORMAT)
