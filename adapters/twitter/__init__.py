"""The X (Twitter) channel adapter."""
from __future__ import annotations

from adapters.twitter.adapter import TwitterAdapter
from adapters.twitter.settings import TwitterSettings

__all__ = ["TwitterAdapter", "TwitterSettings"]
