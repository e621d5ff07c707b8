"""The one guard for fetching a URL someone else gave us (SSRF).

Partner ``photo_url``, Open311 ``media_url`` and officers' proof URLs all
go through ``SafeFetcher.get``:

- the host is resolved ONCE, every address it resolves to must be globally
  routable (``address_refusal``), and the request is sent to that checked
  address (Host header and TLS SNI/certificate check keep the name), so a
  DNS answer that changes between check and connect (rebinding) is never
  used;
- redirects are followed by hand, at most ``max_redirects`` hops, each hop
  through the same checks;
- the body is streamed and abandoned as soon as it passes ``max_bytes``.

``allow_private`` skips only the address policy (tests fetch from fakes on
127.0.0.1); resolution and the size and redirect limits still apply.
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Awaitable, Callable, Union

import httpx

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Resolver = Callable[[str, int], Awaitable[list[str]]]
AddressPolicy = Callable[[IPAddress], Union[str, None]]

# Beyond ``is_global``: ranges Python (3.11) still calls global, or that must
# never be reached whatever Python says. 100.64.0.0/10 holds cloud metadata
# services (100.100.100.200); 192.0.0.0/24 is IETF protocol assignments.
_DENIED_V4 = [ipaddress.IPv4Network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
)]
_DENIED_V6 = [ipaddress.IPv6Network(n) for n in (
    "::/96",  # unspecified, loopback and the deprecated IPv4-compatible form
    "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
    "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
)]
_6TO4 = ipaddress.IPv6Network("2002::/16")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_v4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, Teredo), if any."""
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    if ip in _6TO4 and ip.sixtofour is not None:  # sixtofour is set exactly inside 2002::/16
        return "6to4", ip.sixtofour
    if ip in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.teredo is not None:
        return "Teredo", ip.teredo[1]
    return None


def address_refusal(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be fetched from, or None if it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_v4(ip)
        if embedded is not None:
            why = address_refusal(embedded[1])
            if why is not None:
                return f"{embedded[0]} form of {embedded[1]} ({why})"
        if any(ip in net for net in _DENIED_V6):
            return "multicast address" if ip.is_multicast else "reserved or private address"
    elif any(ip in net for net in _DENIED_V4):
        return "multicast address" if ip.is_multicast else "reserved or private address"
    if ip.is_multicast:
        return "multicast address"
    if not ip.is_global:
        return "not a public address"
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    """All addresses of ``host`` from the system resolver (one lookup)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class FetchRefused(Exception):
    """A URL that was not fetched; ``reason`` can be shown to whoever gave the URL."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FetchTooLarge(FetchRefused):
    """The body passed the size limit (the download was abandoned there)."""


class FetchFailed(FetchRefused):
    """The server could not be reached or answered something other than 200."""


@dataclass(frozen=True)
class Fetched:
    content: bytes
    content_type: str | None
    url: str  # after redirects


@dataclass(frozen=True)
class _Target:
    url: httpx.URL  # with the checked address as host
    host_header: str
    sni: str | None


class SafeFetcher:
    """GET a user-supplied URL: public addresses only, one resolution, bounded size and redirects."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        max_bytes: int,
        allow_private: bool = False,
        resolver: Resolver = system_resolver,
        policy: AddressPolicy = address_refusal,
        max_redirects: int = 3,
    ) -> None:
        self.client = client
        self.max_bytes = max_bytes
        self.allow_private = allow_private
        self.resolver = resolver
        self.policy = policy
        self.max_redirects = max_redirects

    async def get(self, url: str, *, max_bytes: int | None = None, headers: dict[str, str] | None = None) -> Fetched:
        """``headers`` (e.g. a provider's Authorization) go to the first host only, never across a redirect."""
        limit = max_bytes or self.max_bytes
        current = _parse(url)
        first_host = current.host
        for _ in range(self.max_redirects + 1):
            target = await self._target(current)
            # identity: a compressed body would be inflated before the size check could stop it
            extra = headers if headers and current.host == first_host else {}
            headers_out = {**extra, "host": target.host_header, "accept-encoding": "identity"}
            request = self.client.build_request("GET", target.url, headers=headers_out,
                                                extensions={"sni_hostname": target.sni} if target.sni else {})
            try:
                response = await self.client.send(request, stream=True, follow_redirects=False)
            except httpx.HTTPError as exc:
                raise FetchFailed(f"could not be fetched ({type(exc).__name__})") from None
            try:
                if response.is_redirect and "location" in response.headers:
                    current = _parse(str(current.join(response.headers["location"])))
                    continue
                if response.status_code != 200:
                    raise FetchFailed(f"answered HTTP {response.status_code}")
                content = await _read_bounded(response, limit)
                return Fetched(content, response.headers.get("content-type"), str(current))
            finally:
                await response.aclose()
        raise FetchRefused(f"redirected more than {self.max_redirects} times")

    async def _target(self, url: httpx.URL) -> _Target:
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            addresses = [ipaddress.ip_address(host)]
            sni = None
        except ValueError:
            try:
                answers = await self.resolver(host, port)
            except (OSError, UnicodeError):
                raise FetchRefused("host does not resolve") from None
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in answers]
            sni = host if url.scheme == "https" else None
        if not addresses:
            raise FetchRefused("host does not resolve")
        if not self.allow_private:
            for ip in addresses:  # every answer: a round-robin mix is refused as a whole
                why = self.policy(ip)
                if why is not None:
                    raise FetchRefused(f"points at a disallowed address: {why}")
        return _Target(url.copy_with(host=str(addresses[0])), url.netloc.decode("ascii"), sni)


def _parse(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise FetchRefused("is not a valid URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchRefused("must be an http(s) URL")
    if parsed.userinfo:
        raise FetchRefused("must not carry a user name or password")
    return parsed


async def _read_bounded(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchTooLarge(f"is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise FetchTooLarge(f"is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
