"""Sync reference data (areas, agencies, categories, staff) from config to the database."""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import Connection

from bot.config import AppConfig
from bot.routing import Area
from store import repo


def slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def sync_reference_data(conn: Connection, config: AppConfig, areas: list[Area]) -> None:
    for a in areas:
        repo.upsert(conn, repo.T_AREA,
                    dict(code=a.code, name=a.name, level=a.level, parent_code=a.parent_code,
                         postal_code=a.postal_code, slug=slugify(a.name)),
                    ("code",), ("name", "level", "parent_code", "postal_code", "slug"))
    for ag in config.agencies:
        repo.upsert(conn, repo.T_AGENCY, dict(code=ag.code, name=ag.name, parent_code=ag.parent),
                    ("code",), ("name", "parent_code"))
    for c in config.categories:
        repo.upsert(conn, repo.T_CATEGORY,
                    dict(code=c.code, name_id=c.name_id, name_en=c.name_en, agency_code=c.agency,
                         coordinate_hours=c.coordinate_hours, resolve_hours=c.resolve_hours),
                    ("code",), ("name_id", "name_en", "agency_code", "coordinate_hours", "resolve_hours"))
    for s in config.staff:
        repo.upsert(conn, repo.T_STAFF,
                    dict(code=s.code, name=s.name, role=s.role, agency_code=s.agency, area_code=s.area,
                         slack_user_id=s.slack_user_id, telegram_user_id=s.telegram_user_id, email=s.email,
                         password_hash=s.password_hash, active=True),
                    ("code",), ("name", "role", "agency_code", "area_code", "slack_user_id", "telegram_user_id",
                                "email", "password_hash", "active"))
