"""Subject lines: strip Re:/Fwd: prefixes and our tracking tag, join subject and body."""
from __future__ import annotations

import re

from adapters.contract.tracking import normalize

_PREFIXES = r"(?:re|fw|fwd|aw|wg|tr|sv|vs|rv|antw|balas|bls|trs|terusan|automatic reply|balasan otomatis)"
_PREFIX_RE = re.compile(rf"^\s*(?:{_PREFIXES}\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+", re.I)
REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|vs|antw|balas|bls)\s*(?:\[\d+\])?\s*[:：]", re.I)
FORWARD_PREFIX = re.compile(r"^\s*(?:fw|fwd|wg|tr|trs|terusan)\s*[:：]", re.I)
_TAG = re.compile(r"\[\s*([A-Za-z]{2,5}[-\s]?[A-Za-z0-9]{4}[-\s]?[A-Za-z0-9]{4})\s*\]")
_GENERIC_SUBJECTS = {"", "laporan", "aduan", "no subject", "(no subject)", "(tanpa subjek)", "tanpa subjek"}


def clean_subject(subject: str, prefix: str = "JKT") -> tuple[str, str | None]:
    """The subject without Re:/Fwd: prefixes and our ``[JKT-...]`` tag, and that tag."""
    text = subject or ""
    tracking_id = None
    for match in _TAG.finditer(text):
        tracking_id = normalize(match.group(1), prefix)
        if tracking_id:
            text = text[: match.start()] + " " + text[match.end():]
            break
    text = _PREFIX_RE.sub("", text.strip())
    text = _PREFIX_RE.sub("", text)  # "[JKT-..] Re: x" leaves a second prefix
    return re.sub(r"\s{2,}", " ", text).strip(), tracking_id


def thread_subject(clean: str) -> str:
    """The key a same-sender mail must share to join a ticket without reply headers; "" if generic."""
    key = re.sub(r"\s+", " ", clean).strip().casefold()
    return "" if key in _GENERIC_SUBJECTS else key[:300]


def compose_text(subject: str, body: str, tag_id: str | None) -> str:
    """Subject and body as one text; a subject tag leads so ``find_tracking_id`` sees it first."""
    meaningful = subject.strip()
    generic = set(_GENERIC_SUBJECTS)
    if tag_id:
        generic |= {f"laporan {tag_id}".lower(), tag_id.lower()}
    if meaningful.lower() in generic:
        meaningful = ""
    if meaningful and _squash(body).startswith(_squash(meaningful)):
        meaningful = ""  # the citizen repeated the subject as the first line
    head = f"[{tag_id}] {meaningful}".strip() if tag_id else meaningful
    return "\n\n".join(p for p in (head, body.strip()) if p)


def _squash(text: str) -> str:
    # Only the start matters: a regex over a 10 MB body holds the GIL for seconds.
    return re.sub(r"\W+", "", text[:2000].lower())[:200]
