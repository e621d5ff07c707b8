"""Re-export: the tracking-ID format lives in the contract, since adapters find IDs in citizens' text."""
from __future__ import annotations

from adapters.contract.tracking import (  # noqa: F401
    ALPHABET,
    BODY_LENGTH,
    MODULUS,
    find_tracking_id,
    find_tracking_ids,
    format_id,
    is_valid_code,
    new_tracking_id,
    normalize,
)
