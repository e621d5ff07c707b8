"""Re-export: image sniffing lives in the contract (adapters and the core both trust bytes, not claims)."""
from __future__ import annotations

from adapters.contract.media import ALLOWED_IMAGE_TYPES, EXTENSIONS, sniff_image_type  # noqa: F401
