"""Wiring of the staff side into the gateway (called from ``bot.gateway``)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.staff.directory import StaffDirectory
from bot.staff.engine import StaffEngine
from bot.staff.proof import ProofStore

if TYPE_CHECKING:
    from bot.staff.host import StaffHost
    from bot.staff.slack import SlackDesk
    from bot.staff.telegram import TelegramDesk

log = logging.getLogger(__name__)


class StaffService:
    """The staff directory, the command engine and the Slack/Telegram desks."""

    def __init__(self, gw: "StaffHost", *, allow_private_hosts: bool = False) -> None:
        self.directory = StaffDirectory(gw.config, gw.areas)
        self.proofs = ProofStore(gw.media, gw.config.media.proof_similarity_threshold,
                                 allow_private_hosts=allow_private_hosts)
        self.engine = StaffEngine(db=gw.db, clock=gw.clock, config=gw.config, templates=gw.templates,
                                  policy=gw.policy, directory=self.directory, proofs=self.proofs, intake=gw.intake,
                                  wake=gw.dispatcher.wake)
        self.slack: SlackDesk | None = None
        self.telegram: TelegramDesk | None = None
        for adapter in gw.registry.adapters():
            if adapter.name == "slack":
                from bot.staff.slack import SlackDesk

                self.slack = SlackDesk(adapter=adapter, engine=self.engine, directory=self.directory, db=gw.db,  # type: ignore[arg-type]
                                       clock=gw.clock, wake=gw.dispatcher.wake)
                adapter.handler = self.slack  # type: ignore[attr-defined]
                adapter.threads = self.slack  # type: ignore[attr-defined]
                adapter.use_clock(gw.clock)  # type: ignore[attr-defined]
            elif adapter.name == "telegram" and hasattr(adapter, "staff_handler"):
                from bot.staff.telegram import TelegramDesk

                self.telegram = TelegramDesk(adapter=adapter, engine=self.engine, directory=self.directory,
                                             db=gw.db, clock=gw.clock, wake=gw.dispatcher.wake)
                adapter.staff_handler = self.telegram.handle_update  # type: ignore[attr-defined]

    async def drain(self) -> None:
        """Wait until background staff work (Slack commands and events) is done."""
        if self.slack is not None:
            await self.slack.drain()

    async def stop(self) -> None:
        if self.slack is not None:
            await self.slack.stop()
