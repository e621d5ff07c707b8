"""tweepy / network failures mapped to the core's typed send errors."""
from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import tweepy

from adapters.contract.errors import PermanentError, SendError, Throttled, TransientError

# Used when a 429 carries no reset header: X's windows are 15 minutes, but a
# minute is enough to probe again without hammering.
DEFAULT_RETRY_AFTER = 60.0
MIN_RETRY_AFTER = 1.0


def _headers(exc: BaseException) -> Any:
    response = getattr(exc, "response", None)
    return getattr(response, "headers", None) or {}


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def rate_limit_reset(exc: BaseException) -> float | None:
    """Epoch seconds when a 429 lifts: the 15-minute window, or a 24-hour cap.

    ``POST /2/tweets`` also has per-user and per-app 24-hour caps; when one of
    them is exhausted its own reset header is the one that matters.
    """
    headers = _headers(exc)
    found = [_float(headers.get("x-rate-limit-reset") or getattr(exc, "reset_time", None))]
    for scope in ("user", "app"):
        if headers.get(f"x-{scope}-limit-24hour-remaining") == "0":
            found.append(_float(headers.get(f"x-{scope}-limit-24hour-reset")))
    candidates = [v for v in found if v is not None]
    return max(candidates) if candidates else None


def retry_after(exc: BaseException, now: float) -> float:
    """Seconds to wait after a 429, from its reset header and our clock."""
    reset = rate_limit_reset(exc)
    if reset is None:
        return DEFAULT_RETRY_AFTER
    return max(reset - now, MIN_RETRY_AFTER)


def status_of(exc: BaseException) -> int | None:
    """HTTP status of a tweepy or aiohttp error, if it has one."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    if status is None and isinstance(exc, aiohttp.ClientResponseError):
        status = exc.status
    return int(status) if status else None


def describe(exc: BaseException) -> str:
    """A log-safe summary: type, status and X error codes, no request data."""
    parts = [type(exc).__name__]
    status = status_of(exc)
    if status:
        parts.append(str(status))
    codes = getattr(exc, "api_codes", None)
    if codes:
        parts.append("codes=" + ",".join(map(str, codes)))
    return " ".join(parts)


# The recipient does not accept our DMs (their setting, not our fault): v1.1
# codes 150 "You cannot send messages to users who are not following you",
# 349 "You cannot send messages to this user", 476 "Sender is not verified to
# send message requests"; v2 answers 403 with a problem ``detail`` in words.
# A bare 403 "Forbidden" (e.g. a token without dm.write) is not one of these:
# that is our configuration, and must not turn into public replies.
DM_REFUSED_CODES = frozenset({150, 349, 476})
DM_REFUSED_PHRASES = ("not permitted to send direct messages", "cannot send messages to",
                      "not following you", "send message requests")


def dm_refused(exc: BaseException) -> bool:
    """Whether X refused a DM because the recipient does not accept it from us."""
    if not isinstance(exc, tweepy.HTTPException):
        return False
    if DM_REFUSED_CODES.intersection(c for c in exc.api_codes if isinstance(c, int)):
        return True
    words = " ".join(str(m) for m in exc.api_messages).lower()
    return status_of(exc) == 403 and any(p in words for p in DM_REFUSED_PHRASES)


def to_send_error(exc: BaseException, *, now: float, what: str) -> SendError:
    """The typed error for a failed provider call (``what`` names the call)."""
    if isinstance(exc, SendError):
        return exc
    label = f"{what}: {describe(exc)}"
    if isinstance(exc, tweepy.TooManyRequests):
        return Throttled(label, retry_after(exc, now))
    if isinstance(exc, tweepy.HTTPException):
        return _by_status(status_of(exc), label, exc, now)
    if isinstance(exc, aiohttp.ClientResponseError):
        # e.g. a proxy's HTML error page: tweepy cannot parse it as JSON.
        return _by_status(exc.status, label, exc, now)
    if isinstance(exc, tweepy.TweepyException):
        return TransientError(label)  # v1.1 API: "Failed to send request"
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, OSError)):
        return TransientError(label)
    return PermanentError(label)


def _by_status(status: int | None, label: str, exc: BaseException, now: float) -> SendError:
    if status == 429:
        return Throttled(label, retry_after(exc, now))
    if status is None or status >= 500 or status == 408:
        return TransientError(label)
    return PermanentError(label)  # 400 invalid, 401 credentials, 403 refused, 404 gone
