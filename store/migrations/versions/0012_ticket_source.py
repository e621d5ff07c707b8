"""ticket.source: where a report came in (a channel, or a walk-in/letter origin); the console inbox index

Revision ID: 0012_ticket_source
Revises: 0011_staff_directory
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_ticket_source"
down_revision = "0011_staff_directory"
branch_labels = None
depends_on = None

# The open statuses (bot.lifecycle.OPEN_STATUSES), spelled out: a migration never imports the code it migrates.
_SCOPE_KEYS = ("area_code", "agency_code", "unit")
_OPEN = "status IN ('MENUNGGU', 'KOORDINASI', 'DISPOSISI', 'PROSES', 'MENUNGGU_VALIDASI', 'TL_DITOLAK')"


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("source", sa.String(length=30), nullable=True))
    # Until now the origin was the channel (counter reports were recorded as "sms" or "email").
    op.execute("UPDATE ticket SET source = channel WHERE source IS NULL")
    op.create_index("ix_ticket_source", "ticket", ["source"])
    # The console inbox: open tickets, nearest deadline first, read in index order and stopped at one page.
    op.create_index("ix_ticket_open_due", "ticket", ["resolve_due", "id"],
                    sqlite_where=sa.text(_OPEN), postgresql_where=sa.text(_OPEN))
    # ... and within an officer's scope (a kelurahan, an agency, a sub-unit): the same order per scope key.
    for column in _SCOPE_KEYS:
        op.create_index(f"ix_ticket_open_{column}_due", "ticket", [column, "resolve_due", "id"],
                        sqlite_where=sa.text(_OPEN), postgresql_where=sa.text(_OPEN))


def downgrade() -> None:
    for column in _SCOPE_KEYS:
        op.drop_index(f"ix_ticket_open_{column}_due", table_name="ticket")
    op.drop_index("ix_ticket_open_due", table_name="ticket")
    op.drop_index("ix_ticket_source", table_name="ticket")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("source")
