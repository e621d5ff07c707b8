"""Re-export of the adapter contract (moved to ``adapters.contract``), kept so other branches merge."""
from __future__ import annotations

from adapters.contract.channel import (  # noqa: F401
    Capabilities,
    ChannelAdapter,
    IntakeSink,
    TextPolicy,
)
