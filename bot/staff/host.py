"""What the staff side needs of the process it runs in (the gateway satisfies it; nothing imports the gateway)."""
from __future__ import annotations

from typing import Any, Protocol

from bot.clock import Clock
from bot.config import AppConfig
from bot.outbox import OutboxPolicy
from bot.templates import Templates
from store.db import Database
from store.media import MediaStore


class StaffHost(Protocol):
    config: AppConfig
    db: Database
    clock: Clock
    templates: Templates
    policy: OutboxPolicy
    media: MediaStore
    areas: Any  # {code: bot.routing.Area}
    intake: Any  # has submit()
    registry: Any  # adapters.registry.Registry
    dispatcher: Any  # has wake()
