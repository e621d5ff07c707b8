"""A start-up warning when ``instance.public_base_url`` cannot reach the HTTP listener.

Every tracking link, reopen link and webhook URL is built from public_base_url, so changing
``ADUAN_HTTP_PORT`` alone silently breaks them all. Behind a reverse proxy the two differ on
purpose, so only the cases that are certainly wrong are reported: a public URL on this
machine's loopback address whose port is not the listener's, or a loopback public URL while
the listener takes connections from other machines (citizens would get links to 127.0.0.1).
"""
from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from bot.config import AppConfig

log = logging.getLogger(__name__)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def mismatch(config: AppConfig) -> str | None:
    """Why public_base_url and the listener disagree, or None when they may well agree."""
    url = urlsplit(config.instance.public_base_url)
    host = url.hostname or ""
    if not _is_loopback(host):
        return None  # a public name: a reverse proxy may map any port to ours
    try:
        port = url.port or _DEFAULT_PORTS.get(url.scheme, 80)
    except ValueError:
        return f"instance.public_base_url {config.instance.public_base_url!r} has an invalid port"
    listen = config.http
    if port != listen.port and listen.port != 0:
        return (f"instance.public_base_url uses port {port} but the HTTP listener is on port {listen.port}: "
                "tracking links will not open; set ADUAN_PUBLIC_BASE_URL too")
    if not _is_loopback(listen.host):
        return (f"the HTTP listener accepts connections on {listen.host} but instance.public_base_url points at "
                f"{host}: links sent to citizens will not open elsewhere; set ADUAN_PUBLIC_BASE_URL")
    return None


def warn_on_mismatch(config: AppConfig) -> str | None:
    problem = mismatch(config)
    if problem:
        log.warning("%s", problem)
    return problem
