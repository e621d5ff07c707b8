"""Sync reference data (areas, agencies, categories, staff) from config to the database."""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bot.config import AppConfig, StaffConfig
from bot.routing import Area
from store import refdata as store_refdata
from store import staff_directory as store_staff_directory


def slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def sync_reference_data(conn: Connection, config: AppConfig, areas: list[Area], now: datetime) -> None:
    store_refdata.upsert_areas(conn, (dict(code=a.code, name=a.name, level=a.level, parent_code=a.parent_code,
                                           postal_code=a.postal_code, slug=slugify(a.name)) for a in areas))
    store_refdata.upsert_agencies(conn, (dict(code=ag.code, name=ag.name, parent_code=ag.parent)
                                         for ag in config.agencies))
    store_refdata.upsert_categories(conn, (dict(code=c.code, name_id=c.name_id, name_en=c.name_en, agency_code=c.agency,
                                                coordinate_hours=c.coordinate_hours, resolve_hours=c.resolve_hours)
                                           for c in config.categories))
    store_staff_directory.seed_staff(conn, (staff_seed(s) for s in config.staff), now)


def staff_seed(s: StaffConfig) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A ``staff:`` entry as (staff columns, chat identities) for ``store.staff_directory.seed_staff``."""
    values = dict(code=s.code, name=s.name, role=s.role, agency_code=s.agency, area_code=s.area, email=s.email,
                  password_hash=s.password_hash, language=s.language)
    links = [(channel, str(value).strip()) for channel, value in (("slack", s.slack_user_id),
                                                                   ("telegram", s.telegram_user_id))
             if value and str(value).strip()]
    return values, links
