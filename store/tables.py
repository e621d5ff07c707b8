"""SQLModel tables. Identical on SQLite and PostgreSQL (Alembic migrates both).

Timestamps are aware UTC datetimes (SQLModel's UTCDateTime): stored as UTC on
both databases, so comparisons and migrations are identical.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Area(SQLModel, table=True):
    """A kota/kabupaten, kecamatan or kelurahan (Kemendagri code)."""

    __tablename__ = "area"
    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=120)
    level: str = Field(max_length=12)  # kota | kecamatan | kelurahan
    parent_code: str | None = Field(default=None, max_length=20, index=True)
    postal_code: str | None = Field(default=None, max_length=10)
    slug: str = Field(max_length=140, index=True)


class Agency(SQLModel, table=True):
    """An OPD (dinas, badan) or one of its sub-units (suku dinas)."""

    __tablename__ = "agency"
    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    parent_code: str | None = Field(default=None, max_length=40)


class Category(SQLModel, table=True):
    __tablename__ = "category"
    code: str = Field(primary_key=True, max_length=40)
    name_id: str = Field(max_length=120)
    name_en: str = Field(max_length=120)
    agency_code: str | None = Field(default=None, max_length=40)
    coordinate_hours: float | None = None
    resolve_hours: float | None = None


class Staff(SQLModel, table=True):
    """An officer, synced from the staff directory in config."""

    __tablename__ = "staff"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=60, unique=True)
    name: str = Field(max_length=120)
    role: str = Field(max_length=30)  # lurah | agency_officer | validator | admin
    agency_code: str | None = Field(default=None, max_length=40)
    area_code: str | None = Field(default=None, max_length=20)
    slack_user_id: str | None = Field(default=None, max_length=40, index=True)
    telegram_user_id: str | None = Field(default=None, max_length=40, index=True)
    email: str | None = Field(default=None, max_length=200)
    password_hash: str | None = Field(default=None, max_length=200)
    active: bool = True


class Reporter(SQLModel, table=True):
    """One person's address on one channel."""

    __tablename__ = "reporter"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_reporter_channel_address"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=30)
    address: str = Field(max_length=320)
    display_name: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=5)
    opted_out: bool = False
    unreachable: bool = False
    unreachable_reason: str | None = Field(default=None, max_length=200)
    created_at: datetime
    updated_at: datetime


class Ticket(SQLModel, table=True):
    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_reporter_status", "reporter_id", "status"),
        Index("ix_ticket_status_resolve_due", "status", "resolve_due"),
    )
    id: int | None = Field(default=None, primary_key=True)
    tracking_id: str = Field(max_length=20, unique=True)
    status: str = Field(max_length=20, index=True)
    channel: str = Field(max_length=30)
    reporter_id: int = Field(foreign_key="reporter.id")
    category_code: str = Field(max_length=40, index=True)
    agency_code: str | None = Field(default=None, max_length=40, index=True)
    unit: str | None = Field(default=None, max_length=80)
    area_code: str | None = Field(default=None, max_length=20, index=True)
    area_method: str | None = Field(default=None, max_length=20)
    latitude: float | None = None
    longitude: float | None = None
    description: str = Field(sa_column=Column(Text, nullable=False))
    language: str = Field(default="id", max_length=5)
    created_at: datetime = Field(index=True)
    updated_at: datetime
    last_inbound_at: datetime
    coordinate_due: datetime
    resolve_due: datetime
    coordinated_at: datetime | None = None
    proof_submitted_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0
    # SLA clock (migration 0003): the resolve window starts at creation or at a
    # reopen; it pauses while MENUNGGU_VALIDASI (paused_at) and the paused span,
    # in clock hours, is credited to resolve_due when the ticket leaves it.
    resolve_started_at: datetime | None = None
    paused_at: datetime | None = None
    paused_hours: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})


class Message(SQLModel, table=True):
    """Every inbound and outbound message; outbound rows are also the outbox."""

    __tablename__ = "message"
    __table_args__ = (
        # The idempotency key: a provider's redelivery hits this constraint.
        UniqueConstraint("channel", "direction", "external_id", name="uq_message_channel_dir_external"),
        Index("ix_message_outbox", "direction", "status", "next_attempt_at"),
        Index("ix_message_recipient", "channel", "recipient", "created_at"),
        # Outbox lanes (migration 0004): queued rows of one lane in id order, and the pending rows
        # of one conversation that keep later ones waiting (per-conversation order).
        Index("ix_message_lane_queued", "lane", "id",
              sqlite_where=text("direction = 'out' AND status = 'queued'"),
              postgresql_where=text("direction = 'out' AND status = 'queued'")),
        Index("ix_message_conversation_pending", "channel", "recipient", "id",
              sqlite_where=text("direction = 'out' AND status IN ('queued', 'sending')"),
              postgresql_where=text("direction = 'out' AND status IN ('queued', 'sending')")),
        # /healthz: the oldest queued reply per channel is one index probe.
        Index("ix_message_channel_age", "direction", "status", "channel", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=30)
    direction: str = Field(max_length=3)  # in | out
    external_id: str | None = Field(default=None, max_length=255)
    recipient: str | None = Field(default=None, max_length=320)
    reporter_id: int | None = Field(default=None, foreign_key="reporter.id", index=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    kind: str = Field(default="report", max_length=30)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # in: received | processed | failed ; out: queued | sending | sent | delivered | failed | dead
    status: str = Field(max_length=12)
    error: str | None = Field(default=None, sa_column=Column(Text))
    attempts: int = 0
    next_attempt_at: datetime | None = None
    lease_owner: str | None = Field(default=None, max_length=80)
    lease_until: datetime | None = None
    parts_sent: int = 0
    # The outbox lane: the channel, or "<channel>:staff" for posts to officers.
    lane: str | None = Field(default=None, max_length=40)
    attachment_id: int | None = None  # the photo an outbound message carries
    reply_context: str | None = Field(default=None, sa_column=Column(Text))  # JSON
    payload: str | None = Field(default=None, sa_column=Column(Text))  # JSON
    raw: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None


class TicketEvent(SQLModel, table=True):
    """The audit trail: each status change, note, reply or staff action."""

    __tablename__ = "ticket_event"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = Field(max_length=30)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str | None = Field(default=None, max_length=20)
    actor: str = Field(max_length=120)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    public: bool = False
    data: str | None = Field(default=None, sa_column=Column(Text))  # JSON
    created_at: datetime = Field(index=True)


class Attachment(SQLModel, table=True):
    """A stored photo; the file lives at var/media/<aa>/<sha256><ext>."""

    __tablename__ = "attachment"
    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    content_type: str = Field(max_length=40)
    size: int
    kind: str = Field(max_length=12)  # citizen | proof
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    message_id: int | None = Field(default=None, foreign_key="message.id")
    phash: str | None = Field(default=None, max_length=32)
    created_at: datetime


class ChannelState(SQLModel, table=True):
    """Durable receiver state: Telegram offsets, X since_ids..."""

    __tablename__ = "channel_state"
    key: str = Field(primary_key=True, max_length=120)
    value: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime


class SlaAlert(SQLModel, table=True):
    """An SLA warning or breach escalation, recorded once per (ticket, kind, deadline).

    The row is inserted (ON CONFLICT DO NOTHING) in the same transaction as the
    queued officer message, so several gateway processes never send it twice.
    """

    __tablename__ = "sla_alert"
    __table_args__ = (UniqueConstraint("ticket_id", "kind", "deadline", name="uq_sla_alert_ticket_kind_deadline"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    kind: str = Field(max_length=30)  # coordinate_warning | coordinate_breach | resolve_warning | resolve_breach
    deadline: datetime
    created_at: datetime
    message_id: int | None = None  # the queued officer message; None when superseded or not routable
    superseded: bool = False  # a warning recorded unsent because the breach was already due


class StaffThread(SQLModel, table=True):
    """Where a ticket is discussed by officers: its Slack channel and thread (migration 0002)."""

    __tablename__ = "staff_thread"
    __table_args__ = (Index("ix_staff_thread_channel_ts", "channel", "thread_ts"),)
    ticket_id: int = Field(primary_key=True, foreign_key="ticket.id")
    channel: str = Field(max_length=40)
    thread_ts: str | None = Field(default=None, max_length=40)  # set once the first post is sent
    supervisor_channel: str | None = Field(default=None, max_length=40)  # escalations
    language: str = Field(default="id", max_length=5)  # of posts in the thread
    created_at: datetime
    updated_at: datetime


class StaffAssignment(SQLModel, table=True):
    """The officer who took a ticket (``ambil``); the history is in ticket_event."""

    __tablename__ = "staff_assignment"
    ticket_id: int = Field(primary_key=True, foreign_key="ticket.id")
    staff_code: str = Field(max_length=60, index=True)
    assigned_at: datetime


class StaffDedup(SQLModel, table=True):
    """Keys of staff-side inbound events already taken (Slack event_id, file id)."""

    __tablename__ = "staff_dedup"
    key: str = Field(primary_key=True, max_length=200)
    created_at: datetime = Field(index=True)


metadata = SQLModel.metadata


class AreaGeometry(SQLModel, table=True):
    """A kelurahan's boundary (GeoJSON geometry, WGS84) and centre, from ``aduan areas import``.

    ``geojson`` is NULL for a centre known without a polygon (``aduan areas import-centres``)."""

    __tablename__ = "area_geometry"
    area_code: str = Field(primary_key=True, max_length=20)
    geojson: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    centroid_lat: float
    centroid_lon: float
    source: str = Field(max_length=200)
    imported_at: datetime
