"""The ``web`` channel: reports from the /lapor form, followed on the tracking page."""
from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.contract.lazy import lazy_exports
from adapters.web.spec import SPEC

if TYPE_CHECKING:
    from adapters.web.adapter import WebFormChannel

# The adapter module imports the provider SDK: only when a gateway builds it (adapters/contract/lazy.py).
__getattr__ = lazy_exports(__name__, "adapters.web.adapter", ("WebFormChannel",))

__all__ = ["SPEC", "WebFormChannel"]
