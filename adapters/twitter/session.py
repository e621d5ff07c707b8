"""Host-rewriting HTTP sessions that point tweepy at configured base URLs.

tweepy hard-codes its hosts: ``AsyncClient.request`` builds
``"https://api.twitter.com" + route`` and ``API.request`` builds
``"https://" + upload_host + path``. Both let the caller replace the
session object (``AsyncClient.session``, ``API.session``), so these shims
rewrite scheme, host, port and an optional path prefix of requests to the
known X hosts and leave every other URL alone.

OAuth 1.0a signatures are computed by tweepy/oauthlib *before* the rewrite,
over the canonical X URL. That is what a forwarding proxy needs (X checks the
signature against its own URL); a local fake does not check signatures.
"""
from __future__ import annotations

from typing import Any, Mapping

import aiohttp
import requests
from yarl import URL

API_HOST = "api.twitter.com"
UPLOAD_HOST = "upload.twitter.com"


def rewrite_url(url: str | URL, targets: Mapping[str, URL]) -> URL:
    """``url`` moved to the base URL configured for its host, if any."""
    original = url if isinstance(url, URL) else URL(url)
    base = targets.get(original.raw_host or "")
    if base is None:
        return original
    prefix = base.raw_path.rstrip("/")
    return URL.build(
        scheme=base.scheme,
        host=base.raw_host or "",
        port=base.explicit_port,
        path=prefix + original.raw_path,
        query_string=original.raw_query_string,
        encoded=True,
    )


def _targets(mapping: Mapping[str, str]) -> dict[str, URL]:
    return {host: URL(base) for host, base in mapping.items()}


class RewritingClientSession:
    """The part of ``aiohttp.ClientSession`` tweepy's ``AsyncClient`` uses.

    tweepy calls ``async with session.request(method, url, params=, json=,
    headers=)``; the request is forwarded to a real ``ClientSession`` with the
    URL rewritten. The wrapped session is created lazily inside the running
    loop and closed by ``close()``.
    """

    def __init__(self, targets: Mapping[str, str], *, timeout: float = 30.0,
                 session: aiohttp.ClientSession | None = None) -> None:
        self._targets = _targets(targets)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    def request(self, method: str, url: str | URL, **kwargs: Any) -> Any:
        """Same signature and return value as ``ClientSession.request``."""
        return self._client().request(method, rewrite_url(url, self._targets), **kwargs)

    @property
    def closed(self) -> bool:
        return self._session is None or self._session.closed

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


class RewritingRequestsSession(requests.Session):
    """A ``requests.Session`` for tweepy's v1.1 ``API`` (media upload).

    The URL is rewritten in ``send``, i.e. after the OAuth 1.0a auth hook
    signed the canonical URL; environment proxy settings are looked up for
    the rewritten URL, so ``NO_PROXY`` applies to the real destination.
    """

    def __init__(self, targets: Mapping[str, str]) -> None:
        super().__init__()
        self._targets = _targets(targets)

    def _rewrite(self, url: str) -> str:
        return str(rewrite_url(URL(url, encoded=True), self._targets))

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        return super().merge_environment_settings(self._rewrite(url), proxies, stream, verify, cert)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if request.url:
            request.url = self._rewrite(request.url)
        return super().send(request, **kwargs)
