"""The X (Twitter) channel adapter."""
from __future__ import annotations

from adapters.twitter.adapter import TwitterAdapter
from adapters.twitter.settings import TwitterSettings
from adapters.twitter.spec import SPEC

__all__ = ["SPEC", "TwitterAdapter", "TwitterSettings"]
