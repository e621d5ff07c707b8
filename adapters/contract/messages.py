"""Channel-neutral message types that flow between adapters and the core (part of the contract)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class InboundAttachment:
    """A file a citizen sent, already downloaded by the adapter."""

    content: bytes
    content_type: str
    filename: str | None = None


@dataclass
class InboundMessage:
    """One message from a citizen, normalised from any provider's format.

    ``external_id`` is the provider's message id; together with ``channel`` it
    is the idempotency key, so a redelivered message is recognised.
    """

    channel: str
    external_id: str
    sender: str  # the reporter's address on this channel: phone, chat id, email...
    text: str = ""
    sender_name: str | None = None
    attachments: list[InboundAttachment] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    received_at: datetime | None = None
    language: str | None = None
    # Provider threading hints, e.g. email Message-ID / In-Reply-To / References.
    thread_refs: list[str] = field(default_factory=list)
    # Channel-specific context the adapter needs to answer (tweet id, chat id, subject...).
    reply_context: dict[str, Any] = field(default_factory=dict)
    # The raw provider payload, kept for inspection and retry.
    raw: str = ""
    # Whether the core may send an automatic reply (RFC 3834 for email, etc.).
    auto_reply: bool = True
    # Edits update the stored message instead of opening anything new.
    is_edit: bool = False
    # Location-only messages attach coordinates to the reporter's recent ticket.
    is_location_only: bool = False
    # A structured report (partner app, web form) always opens its own ticket:
    # the sender chose "new report", so no threading applies.
    standalone: bool = False
    # Where the report came in when that is not the channel: a walk-in or letter typed by an officer
    # ("kantor_kelurahan", "surat_gubernur"...); stored as ticket.source (default: the channel).
    source: str | None = None
    # A report the sender chose to follow instead of filing a new one (the web form's "Ini laporan yang
    # sama"): their text and photo become a note on it and they get its updates. Unknown or closed: a new report.
    follows: str | None = None


@dataclass
class OutboundMessage:
    """One message to a recipient, handed by the dispatcher to an adapter."""

    id: int
    channel: str
    recipient: str
    text: str
    media_path: str | None = None  # local file of a photo to send
    media_url: str | None = None  # public URL of the same photo
    media_content_type: str | None = None
    tracking_id: str | None = None
    tracking_url: str | None = None
    reply_context: dict[str, Any] = field(default_factory=dict)
    kind: str = "reply"
    payload: dict[str, Any] = field(default_factory=dict)
    # Set by the core on a channel with a messaging window when the citizen's last message is older
    # than the window: the adapter must use an allowed template or tag, or raise OutsideWindow.
    outside_window: bool = False


@dataclass(frozen=True)
class RawRequest:
    """A framework-free HTTP request, so adapters can be tested without a server."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    query: dict[str, str]
    body: bytes
    client_ip: str | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass
class WebhookResult:
    """What an adapter made of a webhook request.

    ``messages`` are handed to intake; the HTTP answer is sent only after they
    are durable. ``status_updates`` carry delivery receipts for sent messages.
    """

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    messages: list[InboundMessage] = field(default_factory=list)
    status_updates: list[DeliveryUpdate] = field(default_factory=list)
    reason: str | None = None


@dataclass(frozen=True)
class DeliveryUpdate:
    """A provider's report on a message we sent (delivered, failed...)."""

    channel: str
    external_id: str
    status: str  # sent | delivered | read | failed | undelivered
    error_code: str | None = None
    recipient_opted_out: bool = False
    recipient_unreachable: bool = False
