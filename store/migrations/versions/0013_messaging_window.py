"""When each reporter last wrote (the messaging window of WhatsApp and Messenger)

Revision ID: 0013_messaging_window
Revises: 0012_ticket_source
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # the submodule itself
from alembic import op

revision = "0013_messaging_window"
down_revision = "0012_ticket_source"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reporter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_inbound_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_index("ix_reporter_address", "reporter", ["address"])
    # Reporters who wrote before: their latest inbound message (the window may still be open).
    op.execute("UPDATE reporter SET last_inbound_at = (SELECT max(m.created_at) FROM message m "
               "WHERE m.reporter_id = reporter.id AND m.direction = 'in')")


def downgrade() -> None:
    op.drop_index("ix_reporter_address", table_name="reporter")
    with op.batch_alter_table("reporter", schema=None) as batch_op:
        batch_op.drop_column("last_inbound_at")
