"""Wiring of the staff side into the gateway (called from ``bot.gateway``)."""
from __future__ import annotations

import logging
from pkgutil import resolve_name
from typing import TYPE_CHECKING, Any

from adapters.contract import StaffDeskHost
from bot.channels import spec_for
from bot.staff.directory import StaffDirectory
from bot.staff.engine import StaffEngine
from bot.staff.proof import ProofStore

if TYPE_CHECKING:
    from bot.staff.host import StaffHost

log = logging.getLogger(__name__)


class StaffService:
    """The staff directory, the command engine and the channels' staff desks (from their specs)."""

    def __init__(self, gw: "StaffHost", *, allow_private_hosts: bool = False) -> None:
        self.directory = StaffDirectory(gw.config, gw.areas, gw.db)
        self.proofs = ProofStore(gw.media, gw.config.media.proof_similarity_threshold,
                                 allow_private_hosts=allow_private_hosts)
        self.engine = StaffEngine(db=gw.db, clock=gw.clock, config=gw.config, templates=gw.templates,
                                  policy=gw.policy, directory=self.directory, proofs=self.proofs, intake=gw.intake,
                                  wake=gw.dispatcher.wake)
        # channel name -> desk, for every adapter whose spec declares a staff desk and that can host one.
        self.desks: dict[str, Any] = {}
        for adapter in gw.registry.adapters():
            spec, name = spec_for(adapter), adapter.name
            if spec is None or spec.staff_desk is None or not isinstance(adapter, StaffDeskHost):
                continue
            factory = resolve_name(spec.staff_desk)  # a reference, so the channel package imports no bot code
            desk = factory(adapter=adapter, engine=self.engine, directory=self.directory, db=gw.db,
                           clock=gw.clock, wake=gw.dispatcher.wake)
            adapter.attach_staff_desk(desk, gw.clock)
            self.desks[name] = desk

    async def drain(self) -> None:
        """Wait until background staff work (e.g. Slack commands and events) is done."""
        for desk in self.desks.values():
            if hasattr(desk, "drain"):
                await desk.drain()

    async def stop(self) -> None:
        for desk in self.desks.values():
            if hasattr(desk, "stop"):
                await desk.stop()
