"""Re-export of the adapter contract (moved to ``adapters.contract``), kept so other branches merge."""
from __future__ import annotations

from adapters.contract.channel import Capabilities, ChannelAdapter, IntakeSink, TextPolicy  # noqa: F401
