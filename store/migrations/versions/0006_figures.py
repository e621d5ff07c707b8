"""Figures: aggregates for dashboards, performance and report; listing indexes; backfill

Revision ID: 0006_figures
Revises: 0005_startup
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_figures"
down_revision = "0005_startup"
branch_labels = None
depends_on = None


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)


def _key(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=False)


def upgrade() -> None:
    op.create_table("fig_count", _key("area_code", 20), _key("category_code", 40), _key("agency_code", 40),
                    _key("source", 30), _key("status", 20), _count("n"), _count("on_time"),
                    sa.PrimaryKeyConstraint("area_code", "category_code", "agency_code", "source", "status"))
    op.create_table("fig_day", _key("day", 10), _key("area_code", 20), _key("category_code", 40),
                    _key("source", 30), _count("n"),
                    sa.PrimaryKeyConstraint("day", "area_code", "category_code", "source"))
    op.create_table("fig_week", _key("week", 10), _key("area_code", 20), _count("due"), _count("on_time"),
                    sa.PrimaryKeyConstraint("week", "area_code"))
    op.create_table("fig_perf", _key("grouping", 12), _key("group_key", 40), _key("month", 7),
                    *[_count(c) for c in ("tickets", "coordinated", "resolved", "in_sla", "backlog", "reopened",
                                          "ever_resolved", "proofs", "rejected", "coordinate_s", "resolve_s")],
                    sa.PrimaryKeyConstraint("grouping", "group_key", "month"))
    op.create_table("fig_hist", _key("grouping", 12), _key("group_key", 40), _key("month", 7),
                    _key("measure", 12), sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
                    _count("n"), sa.PrimaryKeyConstraint("grouping", "group_key", "month", "measure", "bucket"))
    op.create_index("ix_ticket_area_created", "ticket", ["area_code", "created_at"])
    op.create_index("ix_ticket_category_status_created", "ticket", ["category_code", "status", "created_at"])
    # Backfill from the existing tickets and events, in the instance's default time zone (a deployment
    # on another zone runs `aduan figures rebuild`; `aduan figures verify` says so).
    from store.figures import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_ticket_category_status_created", table_name="ticket")
    op.drop_index("ix_ticket_area_created", table_name="ticket")
    for table in ("fig_hist", "fig_perf", "fig_week", "fig_day", "fig_count"):
        op.drop_table(table)
