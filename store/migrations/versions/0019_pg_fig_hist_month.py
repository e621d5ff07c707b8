"""PostgreSQL: fig_hist read by grouping and month range (a year's percentiles without a sequential scan)

The performance figures' percentiles read one grouping's histogram rows over a range of months
(store/figures.py: ``grouping = ? AND month >= ? AND month < ?``). The primary key puts ``group_key`` between
the two, so PostgreSQL scans the whole table: at 1,000,000 tickets 560 k rows to keep 110 k for a year by
kelurahan (186-553 ms, 5,700 pages). This index reads only the year's rows (1,500 pages, 103-177 ms; EXPLAIN in
BENCHMARKS.md, 2026-12-03). Only ``n`` changes on a ticket's change and it is not indexed, so the rows'
updates stay HOT. SQLite is left as it is (its planner and figures are measured separately).

Revision ID: 0019_pg_fig_hist_month
Revises: 0018_rollups
"""
from __future__ import annotations

from alembic import op

revision = "0019_pg_fig_hist_month"
down_revision = "0018_rollups"
branch_labels = None
depends_on = None
INDEX = "ix_fig_hist_grouping_month"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgresql():
        op.create_index(INDEX, "fig_hist", ["grouping", "month"])
        op.execute("ANALYZE fig_hist")


def downgrade() -> None:
    if _postgresql():
        op.drop_index(INDEX, table_name="fig_hist")
