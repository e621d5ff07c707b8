"""Header access that never raises, and the address and Message-ID helpers built on it."""
from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr

from adapters.email.charset import decode_bytes


class Headers:
    """Header access that never raises: stdlib header classes reject some junk."""

    def __init__(self, msg: Message) -> None:
        self._msg = msg

    def get(self, name: str) -> str | None:
        try:
            value = self._msg.get(name)
            if value is None:
                return None
            return clean_str(str(value))
        except Exception:  # noqa: BLE001 - malformed header: fall back to the raw value
            for key, raw_value in self._msg.raw_items():
                if key.lower() == name.lower():
                    return _decode_raw_header(raw_value)
            return None

    def has(self, name: str) -> bool:
        try:
            return name in self._msg
        except Exception:  # noqa: BLE001
            return False


def _decode_raw_header(value: str) -> str:
    try:
        return clean_str(str(make_header(decode_header(value))))
    except Exception:  # noqa: BLE001 - bogus encoded words: keep the raw text
        return clean_str(value)


def clean_str(value: str) -> str:
    """Undo surrogate escapes (raw 8-bit header bytes) and unfold."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        try:
            value = decode_bytes(value.encode("utf-8", "surrogateescape"), None)
        except UnicodeError:
            value = value.encode("utf-8", "replace").decode("utf-8", "replace")
    return re.sub(r"\s*\r?\n\s*", " ", value).strip()


def sender_of(msg: Message, headers: Headers) -> tuple[str | None, str | None]:
    """Lower-cased bare address and display name of From."""
    try:
        addresses = msg["from"].addresses if msg["from"] is not None else ()
        for addr in addresses:
            spec = clean_str(addr.addr_spec or "")
            if "@" in spec:
                return spec.lower(), clean_str(addr.display_name or "") or None
    except Exception:  # noqa: BLE001 - unparseable From: try the lenient parser below
        pass
    raw = headers.get("from")
    if raw:
        name, spec = parseaddr(raw)
        if "@" in spec:
            return spec.strip().lower(), name.strip() or None
    return None, None


def first_address(value: str | None) -> str | None:
    if not value:
        return None
    for _name, spec in getaddresses([value]):
        if "@" in spec:
            return spec.strip().lower()
    return None


_MSGID = re.compile(r"<\s*([^<>\s]+)\s*>")


def msgids(value: str) -> list[str]:
    """Message-IDs in a header value, without angle brackets, in order."""
    found = _MSGID.findall(value)
    if not found:
        found = [tok.strip(",;") for tok in value.split() if "@" in tok]
    return unique(found)[-50:]


def strip_brackets(value: str) -> str:
    return value.strip().lstrip("<").rstrip(">").strip()


def unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def date_of(msg: Message) -> str | None:
    try:
        value = msg["date"]
        dt = getattr(value, "datetime", None)
        return dt.isoformat() if dt else None
    except Exception:  # noqa: BLE001 - a bogus Date header is simply ignored
        return None
