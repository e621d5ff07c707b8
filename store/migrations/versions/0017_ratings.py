"""Citizens' ratings of finished tickets: the latest rating on the ticket, figures per agency and kelurahan

Revision ID: 0017_ratings
Revises: 0014_area_geometry
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # the submodule itself
from alembic import op

revision = "0017_ratings"
down_revision = "0014_area_geometry"
branch_labels = None
depends_on = None


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rating_comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("rated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # No backfill: no ticket has a rating before this revision, so the table starts empty and exact.
    op.create_table("fig_rating",
                    sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
                    sa.Column("area_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
                    _count("n"), _count("total"), _count("low"),
                    sa.PrimaryKeyConstraint("agency_code", "area_code"))


def downgrade() -> None:
    op.drop_table("fig_rating")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("rated_at")
        batch_op.drop_column("rating_comment")
        batch_op.drop_column("rating")
