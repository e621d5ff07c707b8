"""Index for /healthz: oldest queued reply per channel

Revision ID: 0004_startup
Revises: 0003
"""
from __future__ import annotations

from alembic import op

revision = "0004_startup"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_message_lane_age", "message", ["direction", "status", "channel", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_message_lane_age", table_name="message")
