"""Which tickets an officer may see, as one SQL condition.

The same rule serves Slack/Telegram lists (``daftar``) and the signed-in
dashboard: a ticket is in scope when its agency or sub-unit is within the
officer's agency, or its area lies within the officer's area (see
``StaffDirectory.may_touch``, which applies it to a single ticket).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import or_

from bot.staff.directory import StaffDirectory, StaffMember
from store import repo


class NoScope(Exception):
    """The officer has neither an agency nor an area: no ticket is theirs."""


def ticket_scope(directory: StaffDirectory, member: StaffMember) -> Any | None:
    """A condition on ``ticket`` for ``member``; None when they see everything; raises NoScope."""
    scope = directory.scope_filter(member)
    if scope is None:
        return None
    agencies, areas = scope
    T = repo.T_TICKET
    conds = []
    if agencies:
        conds += [T.c.agency_code.in_(sorted(agencies)), T.c.unit.in_(sorted(agencies))]
    if areas:
        conds.append(T.c.area_code.in_(sorted(areas)))
    if not conds:
        raise NoScope(member.code)
    return or_(*conds)
