"""Shared rate limits: send budgets (GCRA) and per-client sliding windows (bot/limiter.py)

Revision ID: 0010_budgets
Revises: 0008_outbox_scale
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # the submodule itself: autogenerate writes sqlmodel.sql.sqltypes.X
from alembic import op

revision = "0010_budgets"
down_revision = "0008_outbox_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_budget",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("tat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "rate_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("expires", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rate_hit_key_at", "rate_hit", ["key", "at"], unique=False)
    op.create_index("ix_rate_hit_expires", "rate_hit", ["expires"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_rate_hit_expires", table_name="rate_hit")
    op.drop_index("ix_rate_hit_key_at", table_name="rate_hit")
    op.drop_table("rate_hit")
    op.drop_table("rate_budget")
