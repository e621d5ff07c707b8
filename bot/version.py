"""The installed version of Aduan, one source for ``aduan --version``, the OpenAPI document and /metrics."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aduan")
except PackageNotFoundError:  # running from a source checkout that was never installed
    __version__ = "0.1.0"
