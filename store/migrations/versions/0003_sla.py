"""SLA clock: alerts sent exactly once, paused time

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # the submodule itself: autogenerate writes sqlmodel.sql.sqltypes.X


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolve_started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_hours', sa.Float(), server_default='0', nullable=False))

    op.create_table('sla_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('deadline', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('superseded', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ticket_id', 'kind', 'deadline', name='uq_sla_alert_ticket_kind_deadline')
    )


def downgrade() -> None:
    op.drop_table('sla_alert')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('paused_hours')
        batch_op.drop_column('paused_at')
        batch_op.drop_column('resolve_started_at')
