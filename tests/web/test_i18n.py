"""The page catalogue: both languages complete, every key a template uses exists, dates localised."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from bot.lifecycle import Status
from bot.public import COLOURS
from bot.web.i18n import Catalogue, format_datetime
from bot.web.state import HERE


def test_languages_have_the_same_keys_and_fields():
    c = Catalogue()
    assert set(c.messages["id"]) == set(c.messages["en"])
    for key, text in c.messages["id"].items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", c.messages["en"][key])), key


def test_every_key_used_exists():
    c = Catalogue()
    used = set()
    for path in list((HERE / "templates").glob("*.html")) + list(HERE.glob("*.py")):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']""", path.read_text()))
    used |= {f"status_explain_{s.value}" for s in Status} | {f"colour_{c}" for c in set(COLOURS.values())}
    used |= {f"level_{lvl}" for lvl in ("kota", "kecamatan", "kelurahan")} | {"o311_notice"}
    missing = sorted(k for k in used if k not in c.messages["id"] and not k.endswith("_"))  # "x_" ~ var: dynamic
    assert missing == []


def test_dates_in_jakarta_time():
    tz = ZoneInfo("Asia/Jakarta")
    when = datetime(2026, 8, 17, 3, 5, tzinfo=timezone.utc)
    assert format_datetime(when, "id", tz) == "17 Agu 2026 10.05 WIB"
    assert format_datetime(when, "en", tz) == "17 Aug 2026 10:05 WIB"
    assert format_datetime(when.isoformat(), "en", tz, with_time=False) == "17 Aug 2026"
    assert format_datetime(None, "id", tz) == "-"
