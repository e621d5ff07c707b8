"""Re-export of the contract's message types, kept so code on other branches still merges (issue 12).

New code imports ``adapters.contract`` directly.
"""
from __future__ import annotations

from adapters.contract.messages import *  # noqa: F401,F403
