"""Re-export of the contract's typed errors (moved to ``adapters.contract.errors``), kept so other branches merge."""
from __future__ import annotations

from adapters.contract.errors import *  # noqa: F401,F403
