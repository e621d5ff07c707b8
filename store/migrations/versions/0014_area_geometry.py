"""Kelurahan boundaries and centres imported by ``aduan areas import``

Revision ID: 0014_area_geometry
Revises: 0013_messaging_window
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # the submodule itself: as autogenerate writes it
from alembic import op

revision = "0014_area_geometry"
down_revision = "0013_messaging_window"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "area_geometry",
        sa.Column("area_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("geojson", sa.Text(), nullable=True),
        sa.Column("centroid_lat", sa.Float(), nullable=False),
        sa.Column("centroid_lon", sa.Float(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("imported_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("area_code"),
    )


def downgrade() -> None:
    op.drop_table("area_geometry")
