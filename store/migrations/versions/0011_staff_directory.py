"""Staff directory in the database: chat identities, TOTP, recovery codes, audit log, canned replies

One ``staff_identity`` row per (channel, external id) replaces the ``slack_user_id`` and
``telegram_user_id`` columns of ``staff``; their values are copied over (and back on downgrade).

Revision ID: 0011_staff_directory
Revises: 0005_startup
"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # the submodule itself: autogenerate writes sqlmodel.sql.sqltypes.X
from alembic import op

revision = "0011_staff_directory"
down_revision = "0005_startup"
branch_labels = None
depends_on = None

_STR = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def _create_tables() -> None:
    op.create_table(
        "staff_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("channel", _STR(length=30), nullable=False),
        sa.Column("external_id", _STR(length=80), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "external_id", name="uq_staff_identity_channel_external"),
    )
    op.create_index(op.f("ix_staff_identity_staff_id"), "staff_identity", ["staff_id"])
    op.create_table(
        "staff_recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", _STR(length=200), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("used_at", _TIME(), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_staff_recovery_code_staff_id"), "staff_recovery_code", ["staff_id"])
    op.create_table(
        "staff_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("action", _STR(length=40), nullable=False),
        sa.Column("actor", _STR(length=80), nullable=True),
        sa.Column("staff_code", _STR(length=60), nullable=True),
        sa.Column("client", _STR(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_staff_audit_created_at"), "staff_audit", ["created_at"])
    op.create_index(op.f("ix_staff_audit_staff_code"), "staff_audit", ["staff_code"])
    op.create_table(
        "canned_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_code", _STR(length=40), nullable=True),
        sa.Column("language", _STR(length=5), nullable=False),
        sa.Column("title", _STR(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by", _STR(length=80), nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("updated_at", _TIME(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_canned_reply_category_language", "canned_reply", ["category_code", "language"])


def upgrade() -> None:
    _create_tables()
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("language", _STR(length=5), nullable=True))
        batch.add_column(sa.Column("managed_by", _STR(length=10), server_default="config", nullable=False))
        batch.add_column(sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("totp_secret", _STR(length=64), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("may_see_contact", sa.Boolean(), server_default=sa.false(), nullable=False))
    conn = op.get_bind()
    now = datetime.now(timezone.utc)
    staff = sa.table("staff", sa.column("id", sa.Integer()), sa.column("slack_user_id", sa.String()),
                     sa.column("telegram_user_id", sa.String()))
    ident = sa.table("staff_identity", sa.column("staff_id", sa.Integer()), sa.column("channel", sa.String()),
                     sa.column("external_id", sa.String()), sa.column("created_at", _TIME()))
    seen: set[tuple[str, str]] = set()
    for row in conn.execute(sa.select(staff).order_by(staff.c.id)).mappings():
        for channel, value in (("slack", row["slack_user_id"]), ("telegram", row["telegram_user_id"])):
            value = (value or "").strip()
            if value and (channel, value) not in seen:  # an id given to two officers: the first keeps it
                seen.add((channel, value))
                conn.execute(ident.insert().values(staff_id=row["id"], channel=channel, external_id=value,
                                                   created_at=now))
    with op.batch_alter_table("staff") as batch:
        batch.drop_index("ix_staff_slack_user_id")
        batch.drop_index("ix_staff_telegram_user_id")
        batch.drop_column("slack_user_id")
        batch.drop_column("telegram_user_id")


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("slack_user_id", _STR(length=40), nullable=True))
        batch.add_column(sa.Column("telegram_user_id", _STR(length=40), nullable=True))
        batch.create_index("ix_staff_slack_user_id", ["slack_user_id"])
        batch.create_index("ix_staff_telegram_user_id", ["telegram_user_id"])
    conn = op.get_bind()
    staff = sa.table("staff", sa.column("id", sa.Integer()), sa.column("slack_user_id", sa.String()),
                     sa.column("telegram_user_id", sa.String()))
    ident = sa.table("staff_identity", sa.column("id", sa.Integer()), sa.column("staff_id", sa.Integer()),
                     sa.column("channel", sa.String()), sa.column("external_id", sa.String()))
    for row in conn.execute(sa.select(ident).where(ident.c.channel.in_(["slack", "telegram"]))
                            .order_by(ident.c.id.desc())).mappings():  # the oldest one last: it wins
        column = "slack_user_id" if row["channel"] == "slack" else "telegram_user_id"
        conn.execute(staff.update().where(staff.c.id == row["staff_id"]).values({column: row["external_id"][:40]}))
    with op.batch_alter_table("staff") as batch:
        for column in ("may_see_contact", "totp_last_step", "totp_secret", "session_epoch", "managed_by", "language"):
            batch.drop_column(column)
    op.drop_index("ix_canned_reply_category_language", table_name="canned_reply")
    op.drop_table("canned_reply")
    op.drop_index(op.f("ix_staff_audit_staff_code"), table_name="staff_audit")
    op.drop_index(op.f("ix_staff_audit_created_at"), table_name="staff_audit")
    op.drop_table("staff_audit")
    op.drop_index(op.f("ix_staff_recovery_code_staff_id"), table_name="staff_recovery_code")
    op.drop_table("staff_recovery_code")
    op.drop_index(op.f("ix_staff_identity_staff_id"), table_name="staff_identity")
    op.drop_table("staff_identity")
