"""The intake pipeline's data: a prepared inbound message, the rules it runs under, its outcome.

Separate from ``bot.intake`` so the citizen-command module can use them too.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.categorize import Categorizer
from bot.config import AppConfig, CategoryConfig
from bot.models import InboundMessage
from bot.outbox import OutboxPolicy
from bot.routing import AreaResolver
from store.media import StoredMedia


@dataclass(frozen=True)
class IntakeOutcome:
    """What intake did with one message (returned once it is durable)."""

    action: str  # new_ticket | appended | note | followed | command | rating | duplicate | edited | location | failed
    message_id: int | None = None
    ticket_id: int | None = None
    tracking_id: str | None = None
    duplicate: bool = False
    error: str | None = None
    reporter_id: int | None = None
    kind: str | None = None  # set when the message row still has to be marked processed


@dataclass
class PreparedInbound:
    """An inbound message whose photos are already stored on disk."""

    msg: InboundMessage
    media: list[StoredMedia] = field(default_factory=list)
    media_errors: list[str] = field(default_factory=list)
    # The provider's raw body as received (before text was made valid), for the failure record.
    raw_body: bytes | None = None


@dataclass
class IntakeRules:
    """Read-only collaborators of the pipeline (shared with the writer thread)."""

    config: AppConfig
    policy: OutboxPolicy
    categorizer: Categorizer
    resolver: AreaResolver
    categories: dict[str, CategoryConfig]

    @property
    def prefix(self) -> str:
        return self.config.instance.tracking_prefix

    def category_name(self, code: str, lang: str | None) -> str:
        cat = self.categories.get(code)
        if cat is None:
            return code
        return cat.name_en if lang == "en" else cat.name_id
