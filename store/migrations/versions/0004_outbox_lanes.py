"""Outbox lanes and per-conversation order

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

STAFF_KINDS = ("staff_ticket", "staff_event", "staff_escalation", "staff_notice", "staff_handoff", "staff_answer",
               "sla_warning", "sla_breach")
QUEUED = sa.text("direction = 'out' AND status = 'queued'")
PENDING = sa.text("direction = 'out' AND status IN ('queued', 'sending')")


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lane", sa.String(length=40), nullable=True))
    kinds = ", ".join(f"'{k}'" for k in STAFF_KINDS)
    op.execute(sa.text(f"UPDATE message SET lane = channel || :suffix WHERE direction = 'out' AND kind IN ({kinds})")
               .bindparams(suffix=":staff"))
    op.execute("UPDATE message SET lane = channel WHERE direction = 'out' AND lane IS NULL")
    op.create_index("ix_message_lane_queued", "message", ["lane", "id"],
                    sqlite_where=QUEUED, postgresql_where=QUEUED)
    op.create_index("ix_message_conversation_pending", "message", ["channel", "recipient", "id"],
                    sqlite_where=PENDING, postgresql_where=PENDING)


def downgrade() -> None:
    op.drop_index("ix_message_conversation_pending", table_name="message")
    op.drop_index("ix_message_lane_queued", table_name="message")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("lane")
