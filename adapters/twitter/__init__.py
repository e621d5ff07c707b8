"""The X (Twitter) channel adapter."""
from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.contract.lazy import lazy_exports
from adapters.twitter.settings import TwitterSettings
from adapters.twitter.spec import SPEC

if TYPE_CHECKING:
    from adapters.twitter.adapter import TwitterAdapter

# The adapter module imports the provider SDK: only when a gateway builds it (adapters/contract/lazy.py).
__getattr__ = lazy_exports(__name__, "adapters.twitter.adapter", ("TwitterAdapter",))

__all__ = ["SPEC", "TwitterAdapter", "TwitterSettings"]
