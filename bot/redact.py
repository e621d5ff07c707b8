"""Re-export: the personal-data redactor lives in the contract (adapters redact public text and the one
log filter uses it too)."""
from __future__ import annotations

from adapters.contract.redact import (  # noqa: F401
    COORDINATE_DECIMALS,
    MARK,
    MAX_PUBLIC_CHARS,
    MIN_ID_DIGITS,
    NOBODY,
    Identity,
    redact,
    round_coordinate,
)
