"""Indexes leading with the SLA deadlines: the sweep reads a bounded window of them in deadline order

Revision ID: 0007_sla_scale
Revises: 0006_figures
"""
from __future__ import annotations

from alembic import op

revision = "0007_sla_scale"
down_revision = "0006_figures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ticket_resolve_due_status", "ticket", ["resolve_due", "status"])
    op.create_index("ix_ticket_coordinate_due_status", "ticket", ["coordinate_due", "status"])


def downgrade() -> None:
    op.drop_index("ix_ticket_coordinate_due_status", table_name="ticket")
    op.drop_index("ix_ticket_resolve_due_status", table_name="ticket")
