"""SQLModel tables. Identical on SQLite and PostgreSQL (Alembic migrates both).

Timestamps are aware UTC datetimes (SQLModel's UTCDateTime): stored as UTC on
both databases, so comparisons and migrations are identical.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


# The open statuses (bot.lifecycle.OPEN_STATUSES) as SQL, for partial indexes.
OPEN_CONDITION = "status IN ('MENUNGGU', 'KOORDINASI', 'DISPOSISI', 'PROSES', 'MENUNGGU_VALIDASI', 'TL_DITOLAK')"


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
    email: str | None = Field(default=None, max_length=200)
    password_hash: str | None = Field(default=None, max_length=200)
    active: bool = True
    # Migration 0011: the directory lives here. Chat identities are rows of ``staff_identity``.
    language: str | None = Field(default=None, max_length=5)
    # "config": config.yaml's ``staff:`` entry is applied on every start; "db": changed by the CLI or the
    # admin page since, so config no longer touches it.
    managed_by: str = Field(default="config", max_length=10, sa_column_kwargs={"server_default": "config"})
    # Bumped when the password changes, the officer is disabled or signs out everywhere: ends every session.
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_last_step: int | None = None  # the last accepted TOTP time step: a code is never accepted twice
    may_see_contact: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})


class StaffIdentity(SQLModel, table=True):
    """An officer's account on a chat app (Slack user id, Telegram user id)."""

    __tablename__ = "staff_identity"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_staff_identity_channel_external"),)
    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    channel: str = Field(max_length=30)
    external_id: str = Field(max_length=80)
    created_at: datetime


class StaffRecoveryCode(SQLModel, table=True):
    """A single-use recovery code for TOTP sign-in, stored as a hash."""

    __tablename__ = "staff_recovery_code"
    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    code_hash: str = Field(max_length=200)
    created_at: datetime
    used_at: datetime | None = None


class StaffAudit(SQLModel, table=True):
    """The audit log of sign-ins, failures, 2FA and directory changes (read by admins on /admin/audit)."""

    __tablename__ = "staff_audit"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(index=True)
    action: str = Field(max_length=40)
    actor: str | None = Field(default=None, max_length=80)  # staff:<code>, cli, config; None: unknown
    staff_code: str | None = Field(default=None, max_length=60, index=True)  # whom it is about
    client: str | None = Field(default=None, max_length=64)
    detail: str | None = Field(default=None, sa_column=Column(Text))  # JSON


class CannedReply(SQLModel, table=True):
    """A ``balasan siap pakai``: a reply template per category (None: any) and language."""

    __tablename__ = "canned_reply"
    __table_args__ = (Index("ix_canned_reply_category_language", "category_code", "language"),)
    id: int | None = Field(default=None, primary_key=True)
    category_code: str | None = Field(default=None, max_length=40)
    language: str = Field(max_length=5)
    title: str = Field(max_length=120)
    body: str = Field(sa_column=Column(Text, nullable=False))
    updated_by: str | None = Field(default=None, max_length=80)
    created_at: datetime
    updated_at: datetime


class Reporter(SQLModel, table=True):
    """One person's address on one channel."""

    __tablename__ = "reporter"
    __table_args__ = (
        UniqueConstraint("channel", "address", name="uq_reporter_channel_address"),
        # The same person's other channels (store/reach.py, migration 0013).
        Index("ix_reporter_address", "address"),
    )
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
    # When the citizen last wrote on this channel (migration 0013): the start of the messaging
    # window on channels that have one (WhatsApp, Messenger). Set by intake's reporter upsert.
    last_inbound_at: datetime | None = None


class Ticket(SQLModel, table=True):
    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_reporter_status", "reporter_id", "status"),
        Index("ix_ticket_status_resolve_due", "status", "resolve_due"),
        # The SLA sweep (migration 0007): a bounded window of deadlines, in deadline order.
        Index("ix_ticket_resolve_due_status", "resolve_due", "status"),
        Index("ix_ticket_coordinate_due_status", "coordinate_due", "status"),
        # Listings (migration 0006): a kelurahan's recent tickets, Open311 by category and status.
        # (The weekly SLA chart's current week reads ix_ticket_resolve_due_status, migration 0007.)
        Index("ix_ticket_area_created", "area_code", "created_at"),
        Index("ix_ticket_category_status_created", "category_code", "status", "created_at"),
        # The console inbox (migration 0012): open tickets in deadline order, one page read from the index.
        Index("ix_ticket_open_due", "resolve_due", "id", sqlite_where=text(OPEN_CONDITION),
              postgresql_where=text(OPEN_CONDITION)),
        *(Index(f"ix_ticket_open_{key}_due", key, "resolve_due", "id", sqlite_where=text(OPEN_CONDITION),
                postgresql_where=text(OPEN_CONDITION)) for key in ("area_code", "agency_code", "unit")),
        # Possible duplicates (migration 0016): open reports in a grid cell (bot/duplicates.py), per category;
        # covering (position and status are in it), so the lookup never reads the table's rows.
        Index("ix_ticket_open_geo_cell", "geo_cell", "category_code", "latitude", "longitude", "status",
              sqlite_where=text(OPEN_CONDITION), postgresql_where=text(OPEN_CONDITION)),
        # The performance figures' overdue count (migration 0015): the open tickets created in a period,
        # read from the index alone (store.reports.overdue_counts).
        Index("ix_ticket_open_created", "created_at", "status", "agency_code", "area_code", "resolve_due",
              "coordinate_due", "paused_at", sqlite_where=text(OPEN_CONDITION), postgresql_where=text(OPEN_CONDITION)),
    )
    id: int | None = Field(default=None, primary_key=True)
    tracking_id: str = Field(max_length=20, unique=True)
    status: str = Field(max_length=20, index=True)
    channel: str = Field(max_length=30)  # where replies go
    # Where the report came in (migration 0012): the channel, or a walk-in/letter origin (bot/web/console/intake.py).
    source: str | None = Field(default=None, max_length=30, index=True)
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
    # The citizen's rating of the handling (migration 0017, bot/ratings.py): 1..5, the latest one given;
    # every rating is also a ticket event ("rating"), so the history stays.
    rating: int | None = None
    rating_comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    rated_at: datetime | None = None
    # Duplicates (migration 0016): the ~64 m grid cell of latitude/longitude (bot/duplicates.py ``cell_of``),
    # so the reports near a point are read from a few index ranges; and the main ticket this one was merged
    # into (``gabung``): a merged ticket is closed (DITOLAK) and leaves the figures.
    geo_cell: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    merged_into_id: int | None = None


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
        # The dispatcher's polls (migration 0008): due queued rows and the next due time, expired
        # leases, the backlog per lane. Partial, so their size follows the backlog, not the history.
        Index("ix_message_queued_due", "next_attempt_at", "lane",
              sqlite_where=text("direction = 'out' AND status = 'queued'"),
              postgresql_where=text("direction = 'out' AND status = 'queued'")),
        Index("ix_message_sending_lease", "lease_until",
              sqlite_where=text("direction = 'out' AND status = 'sending'"),
              postgresql_where=text("direction = 'out' AND status = 'sending'")),
        Index("ix_message_pending_lane", "lane", "created_at",
              sqlite_where=text("direction = 'out' AND status IN ('queued', 'sending')"),
              postgresql_where=text("direction = 'out' AND status IN ('queued', 'sending')")),
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


class RateBudget(SQLModel, table=True):
    """A shared send budget or rate (bot/limiter.py, GCRA): the key's theoretical arrival time."""

    __tablename__ = "rate_budget"
    key: str = Field(primary_key=True, max_length=300)
    tat: float  # epoch seconds


class RateHit(SQLModel, table=True):
    """One hit of a per-client limit (a sliding window log); gone once it left its window."""

    __tablename__ = "rate_hit"
    __table_args__ = (Index("ix_rate_hit_key_at", "key", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300)
    at: float  # epoch seconds
    expires: float = Field(index=True)



# --- figures (migration 0006): aggregates kept by store.figures in the same transaction as each ticket change.
# Key columns are never NULL ('' stands for "none"), so ON CONFLICT finds the row on both databases.

def _count() -> Any:
    return Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


class FigCount(SQLModel, table=True):
    """Tickets by kelurahan, category, agency, source and current status (dashboards, Open311 counts)."""

    __tablename__ = "fig_count"
    # The province's dashboard groups every row by these (migration 0015): read in this order from the
    # index alone, the aggregate streams instead of sorting ~100k rows.
    __table_args__ = (Index("ix_fig_count_groups", "category_code", "agency_code", "source", "status", "n", "on_time"),)
    area_code: str = Field(primary_key=True, max_length=20)
    category_code: str = Field(primary_key=True, max_length=40)
    agency_code: str = Field(primary_key=True, max_length=40)
    source: str = Field(primary_key=True, max_length=30)
    status: str = Field(primary_key=True, max_length=20)
    n: int = _count()
    on_time: int = _count()  # SELESAI with resolved_at <= resolve_due


class FigDay(SQLModel, table=True):
    """Tickets created per local day, kelurahan, category and source."""

    __tablename__ = "fig_day"
    day: str = Field(primary_key=True, max_length=10)  # YYYY-MM-DD, instance time zone
    area_code: str = Field(primary_key=True, max_length=20)
    category_code: str = Field(primary_key=True, max_length=40)
    source: str = Field(primary_key=True, max_length=30)
    n: int = _count()


class FigWeek(SQLModel, table=True):
    """Per deadline week (local Monday of resolve_due) and kelurahan: deadlines, and those met."""

    __tablename__ = "fig_week"
    week: str = Field(primary_key=True, max_length=10)
    area_code: str = Field(primary_key=True, max_length=20)
    due: int = _count()
    on_time: int = _count()


class FigPerf(SQLModel, table=True):
    """Performance counts and duration sums per agency or kelurahan and month of creation (local)."""

    __tablename__ = "fig_perf"
    grouping: str = Field(primary_key=True, max_length=12)  # agency | kelurahan
    group_key: str = Field(primary_key=True, max_length=40)
    month: str = Field(primary_key=True, max_length=7)  # YYYY-MM
    tickets: int = _count()
    coordinated: int = _count()
    resolved: int = _count()
    in_sla: int = _count()
    backlog: int = _count()
    reopened: int = _count()
    ever_resolved: int = _count()
    proofs: int = _count()
    rejected: int = _count()
    coordinate_s: int = _count()  # sum of coordinated_at - created_at, whole seconds
    resolve_s: int = _count()
    # Citizens' ratings (migration 0017, bot/ratings.py) of the group's tickets: how many are rated, the sum
    # of their ratings (the average is rating_total / rated) and how many are rated 1 or 2.
    rated: int = _count()
    rating_total: int = _count()
    rated_low: int = _count()


class FigHist(SQLModel, table=True):
    """Histogram of coordinate / resolve durations (log-spaced buckets, store.figures.bucket_of)."""

    __tablename__ = "fig_hist"
    grouping: str = Field(primary_key=True, max_length=12)
    group_key: str = Field(primary_key=True, max_length=40)
    month: str = Field(primary_key=True, max_length=7)
    measure: str = Field(primary_key=True, max_length=12)  # coordinate | resolve
    bucket: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    n: int = _count()


class FigCreated(SQLModel, table=True):
    """Tickets by creation period (local month YYYY-MM and local day YYYY-MM-DD: every ticket counts in
    both), kelurahan, category, agency, source and current status: a dashboard's date range reads whole
    months plus the days at its edges (migration 0015)."""

    __tablename__ = "fig_created"
    period: str = Field(primary_key=True, max_length=10)
    area_code: str = Field(primary_key=True, max_length=20)
    category_code: str = Field(primary_key=True, max_length=40)
    agency_code: str = Field(primary_key=True, max_length=40)
    source: str = Field(primary_key=True, max_length=30)
    status: str = Field(primary_key=True, max_length=20)
    n: int = _count()
    on_time: int = _count()  # SELESAI with resolved_at <= resolve_due


class FigOpenDue(SQLModel, table=True):
    """Open tickets by the local day of their resolve deadline, kelurahan, category, agency and source:
    overdue now = the days before today plus today's deadlines already past (migration 0015)."""

    __tablename__ = "fig_open_due"
    __table_args__ = (Index("ix_fig_open_due_groups", "category_code", "agency_code", "source", "due_day", "n"),
                      Index("ix_fig_open_due_area", "area_code", "due_day", "n"))
    due_day: str = Field(primary_key=True, max_length=10)  # YYYY-MM-DD, instance time zone
    area_code: str = Field(primary_key=True, max_length=20)
    category_code: str = Field(primary_key=True, max_length=40)
    agency_code: str = Field(primary_key=True, max_length=40)
    source: str = Field(primary_key=True, max_length=30)
    n: int = _count()


class FigCity(SQLModel, table=True):
    """Tickets of the whole province (scope '') and of each kota (scope: its code) by creation period ('' for
    all time, local month YYYY-MM, local day YYYY-MM-DD: every ticket counts in all three), category, agency,
    source and current status: the city's and a kota's dashboards read a few thousand rows here instead of
    fig_count's or fig_created's per-kelurahan ones (migration 0018)."""

    __tablename__ = "fig_city"
    period: str = Field(primary_key=True, max_length=10)
    scope: str = Field(primary_key=True, max_length=20)
    category_code: str = Field(primary_key=True, max_length=40)
    agency_code: str = Field(primary_key=True, max_length=40)
    source: str = Field(primary_key=True, max_length=30)
    status: str = Field(primary_key=True, max_length=20)
    n: int = _count()
    on_time: int = _count()  # SELESAI with resolved_at <= resolve_due


class FigArea(SQLModel, table=True):
    """Tickets and open tickets per kelurahan and creation period ('' for all time, local month, local day):
    the dashboards' map and children lists (migration 0018)."""

    __tablename__ = "fig_area"
    period: str = Field(primary_key=True, max_length=10)
    area_code: str = Field(primary_key=True, max_length=20)
    n: int = _count()
    open_n: int = _count()  # of those, in an open status now


class FigPerfYear(SQLModel, table=True):
    """fig_perf per local year of creation (``month`` holds YYYY): long periods read years (migration 0018)."""

    __tablename__ = "fig_perf_year"
    grouping: str = Field(primary_key=True, max_length=12)
    group_key: str = Field(primary_key=True, max_length=40)
    month: str = Field(primary_key=True, max_length=7)  # YYYY
    tickets: int = _count()
    coordinated: int = _count()
    resolved: int = _count()
    in_sla: int = _count()
    backlog: int = _count()
    reopened: int = _count()
    ever_resolved: int = _count()
    proofs: int = _count()
    rejected: int = _count()
    coordinate_s: int = _count()
    resolve_s: int = _count()
    rated: int = _count()
    rating_total: int = _count()
    rated_low: int = _count()


class FigHistYear(SQLModel, table=True):
    """fig_hist per local year of creation (``month`` holds YYYY, migration 0018)."""

    __tablename__ = "fig_hist_year"
    grouping: str = Field(primary_key=True, max_length=12)
    group_key: str = Field(primary_key=True, max_length=40)
    month: str = Field(primary_key=True, max_length=7)
    measure: str = Field(primary_key=True, max_length=12)
    bucket: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    n: int = _count()


FIGURE_MODELS = (FigCount, FigDay, FigWeek, FigPerf, FigHist, FigCreated, FigOpenDue, FigCity, FigArea, FigPerfYear,
                 FigHistYear)
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


class TicketLink(SQLModel, table=True):
    """Two reports of the same problem (migration 0016): ``possible_duplicate`` found at intake (``reason``
    distance or text), or ``merged`` by an officer (``gabung``); ``ticket_id`` is the newer or merged one."""

    __tablename__ = "ticket_link"
    __table_args__ = (UniqueConstraint("ticket_id", "other_ticket_id", "kind", name="uq_ticket_link"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    other_ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: str = Field(max_length=20)  # possible_duplicate | merged
    reason: str | None = Field(default=None, max_length=20)  # distance | text | officer
    distance_m: float | None = None
    created_at: datetime


class TicketFollower(SQLModel, table=True):
    """A citizen who gets a ticket's updates besides its reporter (migration 0016): one who chose "Ini laporan
    yang sama" on /lapor (``via`` follow) or the reporter of a ticket merged into it (``via`` merged)."""

    __tablename__ = "ticket_follower"
    __table_args__ = (UniqueConstraint("ticket_id", "reporter_id", name="uq_ticket_follower"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    reporter_id: int = Field(foreign_key="reporter.id", index=True)
    via: str = Field(max_length=10)  # follow | merged
    created_at: datetime
