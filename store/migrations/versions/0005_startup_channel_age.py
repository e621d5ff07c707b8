"""Index for /healthz: oldest queued reply per channel

Revision ID: 0005_startup
Revises: 0004
"""
from __future__ import annotations

from alembic import op

revision = "0005_startup"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_message_channel_age", "message", ["direction", "status", "channel", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_message_channel_age", table_name="message")
