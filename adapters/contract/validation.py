"""One wording for settings errors, shared by the core's config and the channels' settings."""
from __future__ import annotations

from pydantic import ValidationError


def format_validation(err: ValidationError, prefix: str = "") -> str:
    """``channels.partner.partners[1].api_key: Field required; ...``: where, then what (never the value)."""
    lines = []
    for e in err.errors():
        loc = prefix
        for part in e["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
        lines.append(f"{loc or '(root)'}: {e['msg']}")
    return "; ".join(lines)
