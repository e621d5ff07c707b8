"""JSON request bodies parsed with a nesting limit, answering 400 with a reason.

The stdlib parser recurses once per ``[`` or ``{``: a body of 1,000 brackets
raises RecursionError (a 500), and deeper ones cost stack for nothing. No
payload any provider or partner sends nests deeper than a dozen levels, so
the depth is checked first, by a scan that stops at the first level over the
limit; the stdlib parser (which, unlike orjson, accepts the escaped lone
surrogates real clients send, made valid later at the intake edge) then
parses what is left.
"""
from __future__ import annotations

import json
import re
from typing import Any

from adapters.contract.errors import WebhookRejected

MAX_DEPTH = 64
# A JSON string (skipped whole: brackets inside it do not nest) or one bracket.
_TOKEN = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]', re.DOTALL)


class TooDeep(ValueError):
    """A JSON text nested deeper than the limit."""


def check_depth(text: str, max_depth: int = MAX_DEPTH) -> None:
    """Raise TooDeep as soon as ``text`` opens more than ``max_depth`` levels."""
    if text.count("[") + text.count("{") <= max_depth:
        return  # cannot be too deep: the common case costs two C-speed counts
    depth = 0
    for m in _TOKEN.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > max_depth:
                raise TooDeep(f"nested deeper than {max_depth} levels")
        elif c in "]}":
            depth -= 1


def loads_limited(body: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` with a depth limit; every failure is a ValueError (TooDeep included)."""
    text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body
    check_depth(text, max_depth)
    try:
        return json.loads(text)
    except RecursionError:  # pragma: no cover - check_depth keeps the parser well within the stack
        raise TooDeep("nested too deeply") from None


def parse_json_body(body: bytes | str, *, what: str = "body", max_depth: int = MAX_DEPTH) -> Any:
    """A request body's JSON, or WebhookRejected(400) saying why it cannot be read."""
    try:
        return loads_limited(body, max_depth)
    except TooDeep as exc:
        raise WebhookRejected(400, f"{what} is not acceptable JSON: {exc}") from None
    except UnicodeDecodeError:
        raise WebhookRejected(400, f"{what} is not UTF-8 JSON") from None
    except ValueError as exc:
        raise WebhookRejected(400, f"{what} is not valid JSON: {exc}") from None


def parse_json_object(body: bytes | str, *, what: str = "body", max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """Like ``parse_json_body``, and the top level must be an object."""
    value = parse_json_body(body, what=what, max_depth=max_depth)
    if not isinstance(value, dict):
        raise WebhookRejected(400, f"{what} must be a JSON object")
    return value
