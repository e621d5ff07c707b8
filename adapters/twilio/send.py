"""Outbound messages through Twilio's REST API with the real twilio client.

https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Any, Mapping

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from adapters.contract.errors import (
    OutsideWindow,
    PermanentError,
    RecipientBlocked,
    RecipientOptedOut,
    SendError,
    Throttled,
    TransientError,
)
from adapters.twilio.settings import TwilioSettings

log = logging.getLogger(__name__)

# Headers of the last API response seen in this task: twilio's exceptions drop
# them, and a 429's Retry-After lives there. A ContextVar keeps concurrent
# sends (one task each) apart.
_last_headers: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "twilio_last_headers", default=None
)

# https://www.twilio.com/docs/api/errors
THROTTLED_CODES = frozenset({20429, 14107})
OPTED_OUT_CODES = frozenset({21610})
# 63016: a free-form WhatsApp message outside the 24-hour window (a template is needed).
OUTSIDE_WINDOW_CODES = frozenset({63016})
# Invalid / not SMS-capable / unreachable numbers: no later send can succeed,
# so they are RecipientBlocked (mark unreachable), like the status callback's
# recipient_unreachable.
UNREACHABLE_CODES = frozenset({21211, 21614, 30003, 30005, 30006})


class HeaderKeepingHttpClient(AsyncTwilioHttpClient):
    """twilio's aiohttp client, plus a default timeout and response headers kept."""

    async def request(self, method: str, url: str, params: Any = None, data: Any = None,
                      headers: Any = None, auth: Any = None, timeout: float | None = None,
                      allow_redirects: bool = False) -> Response:
        # The stock client passes timeout=None to aiohttp, meaning "no timeout at all".
        response = await super().request(
            method, url, params=params, data=data, headers=headers, auth=auth,
            timeout=timeout if timeout is not None else self.timeout,
            allow_redirects=allow_redirects,
        )
        _last_headers.set(response.headers)
        return response


def make_client(settings: TwilioSettings) -> Client:
    """A twilio Client on the async HTTP client; call inside the running loop."""
    http = HeaderKeepingHttpClient(timeout=settings.request_timeout_seconds)
    # An API key (Twilio's advice for REST) if configured, else the auth token.
    if settings.api_key_sid and settings.api_key_secret:
        username, password = settings.api_key_sid, settings.api_key_secret.get_secret_value()
    else:
        username, password = settings.account_sid, settings.auth_token.get_secret_value()
    client = Client(username, password, account_sid=settings.account_sid, http_client=http)
    # Settings are the one source: TWILIO_EDGE / TWILIO_REGION from the
    # environment would silently rewrite the host (and miss a local fake).
    client.edge = settings.edge
    client.region = settings.region
    client.api.base_url = settings.api_base_url
    return client


def retry_after(headers: Mapping[str, str] | None, default: float) -> float:
    """Seconds from a Retry-After header (delta-seconds form), else ``default``."""
    if headers:
        for key, value in headers.items():
            if key.lower() == "retry-after":
                try:
                    return max(0.0, float(value))
                except ValueError:
                    break
    return default


def _int(value: Any) -> int | None:  # an SDK exception's status or code, of no declared type
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def map_error(exc: BaseException, default_retry_after: float) -> SendError:
    """A twilio / transport exception as Aduan's typed send error."""
    if isinstance(exc, (TwilioRestException, TwilioServiceException)):
        status, code = _int(exc.status) or 0, _int(exc.code)
        text = f"Twilio HTTP {status} code {code}"
        if status == 429 or code in THROTTLED_CODES:
            return Throttled(text, retry_after(_last_headers.get(), default_retry_after))
        if code in OPTED_OUT_CODES:
            return RecipientOptedOut(text)
        if code in OUTSIDE_WINDOW_CODES:
            return OutsideWindow(text)
        if code in UNREACHABLE_CODES:
            return RecipientBlocked(text)
        if status >= 500:
            return TransientError(text)
        return PermanentError(text)
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, OSError)):
        return TransientError(f"Twilio unreachable: {type(exc).__name__}")
    if isinstance(exc, (TwilioException, ValueError)):
        # e.g. an unparsable 2xx body: the outcome is unknown, so retry.
        return TransientError(f"Twilio answer unusable: {type(exc).__name__}")
    return TransientError(f"unexpected send failure: {type(exc).__name__}")


async def create_message(
    client: Client,
    *,
    to: str,
    from_: str,
    body: str,
    media_url: str | None,
    status_callback: str,
    default_retry_after: float,
    content: tuple[str, str] | None = None,
) -> str:
    """POST one Messages.json resource; the Message SID, or a typed SendError.

    ``content`` is (ContentSid, ContentVariables JSON) for an approved template: then no Body or MediaUrl.
    """
    _last_headers.set(None)
    kwargs: dict[str, Any] = {"to": to, "from_": from_, "status_callback": status_callback}
    if content is not None:
        kwargs["content_sid"], kwargs["content_variables"] = content
    else:
        kwargs["body"] = body
    if media_url and content is None:
        kwargs["media_url"] = [media_url]
    try:
        message = await client.messages.create_async(**kwargs)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure becomes a typed error
        raise map_error(exc, default_retry_after) from exc
    if not message.sid:
        raise TransientError("Twilio answered without a message sid")
    return message.sid
