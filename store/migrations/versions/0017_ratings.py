"""Citizens' ratings of finished tickets: the latest rating on the ticket, sums in fig_perf

Revision ID: 0017_ratings
Revises: 0016_duplicates
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # the submodule itself
from alembic import op

revision = "0017_ratings"
down_revision = "0016_duplicates"
branch_labels = None
depends_on = None
RATING_SUMS = ("rated", "rating_total", "rated_low")


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rating_comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("rated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # No backfill: no ticket has a rating before this revision, so the new sums start at 0 and exact.
    with op.batch_alter_table("fig_perf", schema=None) as batch_op:
        for name in RATING_SUMS:
            batch_op.add_column(_count(name))


def downgrade() -> None:
    with op.batch_alter_table("fig_perf", schema=None) as batch_op:
        for name in reversed(RATING_SUMS):
            batch_op.drop_column(name)
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("rated_at")
        batch_op.drop_column("rating_comment")
        batch_op.drop_column("rating")
