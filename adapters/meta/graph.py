"""Graph API calls and their errors as Aduan's typed send errors.

Meta answers errors as ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.
https://developers.facebook.com/docs/graph-api/guides/error-handling
https://developers.facebook.com/docs/messenger-platform/error-codes
https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.contract.errors import (
    OutsideWindow,
    PermanentError,
    RecipientBlocked,
    SendError,
    Throttled,
    TransientError,
)

# Application / page / account rate limits, and WhatsApp's throughput and pair limits.
THROTTLED_CODES = frozenset({4, 17, 32, 613, 80001, 80006, 130429, 131048, 131056})
# Messenger: 551 "This person isn't available right now"; 100/2018001 "No matching user found".
# WhatsApp Cloud: 131026 "Message undeliverable" (not on WhatsApp, old app...).
UNREACHABLE = frozenset({(551, None), (100, 2018001), (131026, None)})
# Messenger: 10/2018278 "sent outside of allowed window"; WhatsApp Cloud: 131047 "Re-engagement message".
OUTSIDE_WINDOW = frozenset({(10, 2018278), (131047, None)})
# Transient on Meta's side: 1 unknown, 2 service unavailable, 131000 something went wrong, 131016 overloaded.
TRANSIENT_CODES = frozenset({1, 2, 131000, 131016})


@dataclass(frozen=True)
class GraphError:
    status: int
    code: int | None
    subcode: int | None
    message: str
    fbtrace_id: str | None

    def describe(self) -> str:
        sub = f"/{self.subcode}" if self.subcode is not None else ""
        return f"Graph HTTP {self.status} code {self.code}{sub}: {self.message[:160]}"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def graph_error(response: httpx.Response) -> GraphError:
    """The error object of a failed Graph call (or what can be said without one)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return GraphError(response.status_code, None, None, "no Graph error object", None)
    return GraphError(response.status_code, _int(err.get("code")), _int(err.get("error_subcode")),
                      str(err.get("message") or ""), err.get("fbtrace_id"))


def retry_after(response: httpx.Response, default: float) -> float:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return default


def map_error(response: httpx.Response, default_retry_after: float) -> SendError:
    """One typed error per Graph answer; the dispatcher decides retries from the type."""
    err = graph_error(response)
    text = err.describe()
    if response.status_code == 429 or err.code in THROTTLED_CODES:
        return Throttled(text, retry_after(response, default_retry_after))
    if (err.code, err.subcode) in OUTSIDE_WINDOW or (err.code, None) in OUTSIDE_WINDOW:
        return OutsideWindow(text)
    if (err.code, err.subcode) in UNREACHABLE or (err.code, None) in UNREACHABLE:
        return RecipientBlocked(text)
    if response.status_code >= 500 or err.code in TRANSIENT_CODES:
        return TransientError(text)
    return PermanentError(text)


async def post(client: httpx.AsyncClient, url: str, token: str, *, timeout: float,
               default_retry_after: float, json: Any = None, data: Any = None,
               files: Any = None) -> dict[str, Any]:
    """POST to the Graph API with the token as a Bearer header (never in the URL, so never in a log)."""
    headers = {"authorization": f"Bearer {token}"}
    try:
        response = await client.post(url, json=json, data=data, files=files, headers=headers, timeout=timeout)
    except asyncio.CancelledError:
        raise
    except (httpx.HTTPError, OSError) as exc:
        raise TransientError(f"Graph API unreachable: {type(exc).__name__}") from None
    if response.status_code >= 400:
        raise map_error(response, default_retry_after)
    try:
        body = response.json()
    except ValueError:
        raise TransientError("Graph API answer is not JSON") from None
    if not isinstance(body, dict):
        raise TransientError("Graph API answer is not an object")
    return body
