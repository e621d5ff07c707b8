"""Download inbound MMS / WhatsApp media from Twilio.

https://www.twilio.com/docs/messaging/api/media-resource
Media URLs answer with a redirect to a CDN; with HTTP Basic auth enforced on
media, the first request needs the account credentials, which must never be
sent on to the CDN host.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from adapters.contract.media import EXTENSIONS, sniff_image_type
from adapters.contract.messages import InboundAttachment
from adapters.twilio.parse import MediaRef

log = logging.getLogger(__name__)
_REDIRECTS = {301, 302, 303, 307, 308}


class MediaError(Exception):
    """One media item could not be kept; the message itself is."""


@dataclass(frozen=True)
class MediaResult:
    attachments: list[InboundAttachment]
    errors: list[dict[str, object]]


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


class MediaFetcher:
    """Fetches media with size and type checks through an injected httpx client."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        api_base_url: str,
        auth: tuple[str, str],
        max_bytes: int,
        timeout: float,
        max_redirects: int,
    ) -> None:
        self._client = client
        self._api_origin = _origin(api_base_url)
        self._auth = auth
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._max_redirects = max_redirects

    async def fetch_all(self, refs: list[MediaRef], message_sid: str) -> MediaResult:
        """Download every item concurrently; failures become notes, not exceptions."""
        outcomes = await asyncio.gather(*(self._fetch_one(r, message_sid) for r in refs), return_exceptions=True)
        attachments: list[InboundAttachment] = []
        errors: list[dict[str, object]] = []
        for ref, outcome in zip(refs, outcomes):
            if isinstance(outcome, InboundAttachment):
                attachments.append(outcome)
                continue
            reason = str(outcome) if isinstance(outcome, MediaError) else f"download failed: {type(outcome).__name__}"
            log.warning("twilio media %s #%d dropped: %s", message_sid, ref.index, reason)
            errors.append({"index": ref.index, "content_type": ref.content_type, "error": reason})
        return MediaResult(attachments, errors)

    async def _fetch_one(self, ref: MediaRef, message_sid: str) -> InboundAttachment:
        # Voice notes, videos, vCards...: only photos are kept, so skip the download.
        if ref.content_type and not ref.content_type.startswith("image/"):
            raise MediaError(f"not an image ({ref.content_type})")
        content = await asyncio.wait_for(self._download(ref.url), self._timeout)
        kind = sniff_image_type(content)
        if kind is None:
            raise MediaError("content is not a JPEG, PNG or WebP image")
        return InboundAttachment(content, kind, f"{message_sid}-{ref.index}{EXTENSIONS[kind]}")

    def _is_twilio(self, url: str) -> bool:
        """Credentials go to the configured API host or Twilio's own HTTPS hosts, never a CDN."""
        origin = _origin(url)
        if origin == self._api_origin:
            return True
        scheme, host, _ = origin
        return scheme == "https" and (host == "twilio.com" or host.endswith(".twilio.com"))

    async def _download(self, url: str) -> bytes:
        """GET following redirects by hand, so credentials go to the API host only."""
        for _ in range(self._max_redirects + 1):
            auth = self._auth if self._is_twilio(url) else None
            async with self._client.stream("GET", url, auth=auth, follow_redirects=False) as response:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    if urlsplit(url).scheme not in ("http", "https"):
                        raise MediaError("redirect to a non-HTTP URL")
                    continue
                if response.status_code != 200:
                    raise MediaError(f"HTTP {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self._max_bytes:
                    raise MediaError("media larger than max_media_bytes")
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self._max_bytes:
                        # Stop early: never hold more than the limit in memory.
                        raise MediaError("media larger than max_media_bytes")
                    chunks.append(chunk)
                return b"".join(chunks)
        raise MediaError("too many redirects")
