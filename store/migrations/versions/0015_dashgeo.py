"""Figures for dashboards' date ranges (fig_created) and overdue counts (fig_open_due), backfilled;
indexes for the dashboards' and performance figures' group-bys

Revision ID: 0015_dashgeo
Revises: 0014_area_geometry
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_dashgeo"
down_revision = "0014_area_geometry"
branch_labels = None
depends_on = None

NEW_TABLES = ("fig_created", "fig_open_due")
# bot.lifecycle.OPEN_STATUSES as SQL, as the partial indexes of 0012 spell it (a migration keeps its own copy).
_OPEN = "status IN ('MENUNGGU', 'KOORDINASI', 'DISPOSISI', 'PROSES', 'MENUNGGU_VALIDASI', 'TL_DITOLAK')"


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)


def _key(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=False)


def upgrade() -> None:
    op.create_table("fig_created", _key("period", 10), _key("area_code", 20), _key("category_code", 40),
                    _key("agency_code", 40), _key("source", 30), _key("status", 20), _count("n"), _count("on_time"),
                    sa.PrimaryKeyConstraint("period", "area_code", "category_code", "agency_code", "source", "status"))
    op.create_table("fig_open_due", _key("due_day", 10), _key("area_code", 20), _key("category_code", 40),
                    _key("agency_code", 40), _key("source", 30), _count("n"),
                    sa.PrimaryKeyConstraint("due_day", "area_code", "category_code", "agency_code", "source"))
    op.create_index("ix_fig_open_due_groups", "fig_open_due", ["category_code", "agency_code", "source", "due_day", "n"])
    op.create_index("ix_fig_open_due_area", "fig_open_due", ["area_code", "due_day", "n"])
    op.create_index("ix_fig_count_groups", "fig_count", ["category_code", "agency_code", "source", "status", "n", "on_time"])
    op.create_index("ix_ticket_open_created", "ticket", ["created_at", "status", "agency_code", "area_code", "resolve_due",
                                                         "coordinate_due", "paused_at"],
                    sqlite_where=sa.text(_OPEN), postgresql_where=sa.text(_OPEN))
    # Backfill these two from the tickets (the other figures are already exact).
    from store.figures import rebuild

    rebuild(op.get_bind(), only=NEW_TABLES)


def downgrade() -> None:
    op.drop_index("ix_ticket_open_created", table_name="ticket")
    op.drop_index("ix_fig_count_groups", table_name="fig_count")
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
