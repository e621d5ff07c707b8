"""Outbox at scale: index-served polls over years of sent rows

The dispatcher's polls (due lanes, the next due time, expired leases, the
per-lane backlog) each get a partial index holding only the rows they look
for, so their cost follows the backlog, not the history. Partial on both
databases; the queries in store/outbox.py repeat the WHERE terms literally
(SQLite only uses a partial index then).

Revision ID: 0008_outbox_scale
Revises: 0007_sla_scale
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_outbox_scale"
down_revision = "0007_sla_scale"
branch_labels = None
depends_on = None

QUEUED = sa.text("direction = 'out' AND status = 'queued'")
SENDING = sa.text("direction = 'out' AND status = 'sending'")
PENDING = sa.text("direction = 'out' AND status IN ('queued', 'sending')")


def upgrade() -> None:
    op.create_index("ix_message_queued_due", "message", ["next_attempt_at", "lane"],
                    sqlite_where=QUEUED, postgresql_where=QUEUED)
    op.create_index("ix_message_sending_lease", "message", ["lease_until"],
                    sqlite_where=SENDING, postgresql_where=SENDING)
    op.create_index("ix_message_pending_lane", "message", ["lane", "created_at"],
                    sqlite_where=PENDING, postgresql_where=PENDING)


def downgrade() -> None:
    op.drop_index("ix_message_pending_lane", table_name="message")
    op.drop_index("ix_message_sending_lease", table_name="message")
    op.drop_index("ix_message_queued_due", table_name="message")
