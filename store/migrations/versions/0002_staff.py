"""staff side: Slack threads, staff actions (filled in by the staff-side work)

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # the submodule itself: autogenerate writes sqlmodel.sql.sqltypes.X

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff_thread',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('thread_ts', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('supervisor_channel', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('ticket_id')
    )
    with op.batch_alter_table('staff_thread', schema=None) as batch_op:
        batch_op.create_index('ix_staff_thread_channel_ts', ['channel', 'thread_ts'], unique=False)

    op.create_table('staff_assignment',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('staff_code', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('assigned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('ticket_id')
    )
    with op.batch_alter_table('staff_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_assignment_staff_code'), ['staff_code'], unique=False)

    op.create_table('staff_dedup',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('staff_dedup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_dedup_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staff_dedup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_dedup_created_at'))

    op.drop_table('staff_dedup')
    with op.batch_alter_table('staff_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_assignment_staff_code'))

    op.drop_table('staff_assignment')
    with op.batch_alter_table('staff_thread', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_thread_channel_ts')

    op.drop_table('staff_thread')
