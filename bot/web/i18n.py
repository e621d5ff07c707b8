"""The public pages' message catalogue (``messages.yaml``): Bahasa Indonesia and English.

Every string a citizen reads on a page comes from here (texts sent over
channels stay in config.yaml's ``templates``). ``Catalogue.gettext(lang)``
returns the ``t(key, **fields)`` function the Jinja templates call.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

import yaml

LANGUAGES = ("id", "en")
MESSAGES = Path(__file__).with_name("messages.yaml")

_MONTHS = {
    "id": ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}


class Catalogue:
    def __init__(self, path: Path = MESSAGES, default: str = "id") -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.messages: dict[str, dict[str, str]] = {lang: dict(data[lang]) for lang in LANGUAGES}
        self.default = default if default in LANGUAGES else "id"

    def language(self, lang: str | None) -> str:
        return lang if lang in LANGUAGES else self.default

    def text(self, key: str, lang: str, **fields: Any) -> str:
        msg = self.messages.get(lang, {}).get(key) or self.messages[self.default].get(key)
        if msg is None:
            raise KeyError(f"web message {key!r} is missing")
        return msg.format(**fields) if fields else msg

    def gettext(self, lang: str) -> Callable[..., str]:
        def t(key: str, **fields: Any) -> str:
            return self.text(key, lang, **fields)

        return t


def format_datetime(value: datetime | str | None, lang: str, tz: ZoneInfo, *, with_time: bool = True) -> str:
    """``2 Mar 2026 08.00 WIB`` / ``2 Mar 2026 08:00 WIB`` in the instance's time zone."""
    if value is None:
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(tz)
    month = _MONTHS.get(lang, _MONTHS["id"])[local.month - 1]
    text = f"{local.day} {month} {local.year}"
    if with_time:
        sep = "." if lang == "id" else ":"
        zone = local.tzname() or ""
        if zone == "+07":
            zone = "WIB"
        text += f" {local.hour:02d}{sep}{local.minute:02d} {zone}".rstrip()
    return text
