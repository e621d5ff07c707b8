"""The console's routes, from its page modules."""
from __future__ import annotations

from fastapi import APIRouter

from bot.web.console import actions, inbox, intake, ticket

router = APIRouter()
for _module in (inbox, ticket, actions, intake):
    router.include_router(_module.router)
