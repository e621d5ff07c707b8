"""Duplicate reports: ticket.geo_cell and merged_into_id, ticket_link, ticket_follower

Revision ID: 0016_duplicates
Revises: 0015_dashgeo
"""
from __future__ import annotations

import math

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # the submodule itself: as autogenerate writes it
from alembic import op

revision = "0016_duplicates"
down_revision = "0015_dashgeo"
branch_labels = None
depends_on = None

# The open statuses (bot.lifecycle.OPEN_STATUSES), spelled out: a migration never imports the code it migrates.
_OPEN = "status IN ('MENUNGGU', 'KOORDINASI', 'DISPOSISI', 'PROSES', 'MENUNGGU_VALIDASI', 'TL_DITOLAK')"
# bot/duplicates.py's grid, as it was when this migration was written (the cells stored must not move).
_CELL_DEGREES = 64 / 111_320
_COLUMNS = 1_000_000
_CHUNK = 5000


def _cell(lat: float, lon: float) -> int:
    return math.floor(lat / _CELL_DEGREES) * _COLUMNS + math.floor(lon / _CELL_DEGREES) + _COLUMNS // 2


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default): instant on both databases, no table rebuild at 1M rows.
    op.add_column("ticket", sa.Column("geo_cell", sa.BigInteger(), nullable=True))
    op.add_column("ticket", sa.Column("merged_into_id", sa.Integer(), nullable=True))
    op.create_table(
        "ticket_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("other_ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.ForeignKeyConstraint(["other_ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "other_ticket_id", "kind", name="uq_ticket_link"),
    )
    op.create_index("ix_ticket_link_ticket_id", "ticket_link", ["ticket_id"])
    op.create_index("ix_ticket_link_other_ticket_id", "ticket_link", ["other_ticket_id"])
    op.create_table(
        "ticket_follower",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("via", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.ForeignKeyConstraint(["reporter_id"], ["reporter.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "reporter_id", name="uq_ticket_follower"),
    )
    op.create_index("ix_ticket_follower_ticket_id", "ticket_follower", ["ticket_id"])
    op.create_index("ix_ticket_follower_reporter_id", "ticket_follower", ["reporter_id"])
    # The cells of the open reports with coordinates (only open ones are ever looked up), in chunks.
    conn = op.get_bind()
    after = 0
    while True:
        rows = conn.execute(sa.text(f"SELECT id, latitude, longitude FROM ticket WHERE id > :after AND {_OPEN} "
                                    "AND latitude IS NOT NULL AND longitude IS NOT NULL ORDER BY id LIMIT :n"),
                            {"after": after, "n": _CHUNK}).all()
        if not rows:
            break
        after = rows[-1][0]
        conn.execute(sa.text("UPDATE ticket SET geo_cell = :cell WHERE id = :id"),
                     [{"id": r[0], "cell": _cell(r[1], r[2])} for r in rows])
    op.create_index("ix_ticket_open_geo_cell", "ticket", ["geo_cell", "category_code", "latitude", "longitude", "status"],
                    sqlite_where=sa.text(_OPEN), postgresql_where=sa.text(_OPEN))


def downgrade() -> None:
    op.drop_index("ix_ticket_open_geo_cell", table_name="ticket")
    op.drop_table("ticket_follower")
    op.drop_table("ticket_link")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("merged_into_id")
        batch.drop_column("geo_cell")
