"""The ``web`` channel: reports from the /lapor form, followed on the tracking page."""
from __future__ import annotations

from adapters.web.adapter import WebFormChannel
from adapters.web.spec import SPEC

__all__ = ["SPEC", "WebFormChannel"]
