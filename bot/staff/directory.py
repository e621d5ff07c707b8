"""The staff directory and who may act on which ticket.

Officers live in the ``staff`` table (``python main.py staff ...``, the admin page; config.yaml's
``staff:`` seeds it, see ``store.staff_directory``). Every lookup reads the database, so a change made by
the CLI in another process (disabling an officer, linking a Slack id) counts at once. Chat identities
(Slack, Telegram user ids) are rows of ``staff_identity``. Scope follows Jakarta's CRM:

* ``lurah``: the kelurahan operator/lurah, for tickets in their area (a
  kecamatan or kota officer's area contains its kelurahan);
* ``agency_officer``: an OPD officer, for tickets of their agency or any of
  its sub-units (a Suku Dinas officer: tickets disposed to that unit);
* ``validator``: validates follow-ups, within their agency/area if set, else
  everywhere;
* ``admin``: anything.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.contract.rows import RowLike
from bot.config import AppConfig
from bot.routing import Area

from store import staff_directory as store_directory

# Which roles may run which command: declared by each command (bot.staff.commands), see ``may_run``.


@dataclass(frozen=True)
class StaffMember:
    code: str
    name: str
    role: str
    agency: str | None = None
    area: str | None = None
    language: str | None = None

    @property
    def actor(self) -> str:
        """The audit actor of everything this officer does."""
        return f"staff:{self.code}"


@dataclass(frozen=True)
class Refusal:
    """Why an officer may not do something: a template key and its fields."""

    key: str
    fields: dict[str, Any] = field(default_factory=dict)


class StaffDirectory:
    """In-memory staff directory plus the agency and area trees."""

    def __init__(self, config: AppConfig, areas: list[Area], db: Any = None) -> None:
        self.db = db  # store.db.Database: the staff table is the directory
        self.agency_parent = {a.code: a.parent for a in config.agencies}
        self.agency_names = {a.code: a.name for a in config.agencies}
        self.areas = {a.code: a for a in areas}

    # -- lookups ---------------------------------------------------------

    @staticmethod
    def member_of(row: RowLike | None) -> StaffMember | None:
        """A staff row as a member (None for no row or a disabled officer)."""
        if row is None or not row["active"]:
            return None
        return StaffMember(row["code"], row["name"], row["role"], row["agency_code"], row["area_code"],
                           row.get("language"))

    async def by_identity(self, channel: str, external_id: str) -> StaffMember | None:
        return self.member_of(await self.db.read(store_directory.member_by_identity, channel, external_id))

    async def by_slack(self, user_id: str) -> StaffMember | None:
        return await self.by_identity("slack", user_id)

    async def by_telegram(self, user_id: int | str) -> StaffMember | None:
        return await self.by_identity("telegram", str(user_id))

    async def member(self, code: str) -> StaffMember | None:
        """The active officer with this code."""
        return self.member_of(await self.db.read(store_directory.staff_row, code))

    def agency_code(self, given: str) -> str | None:
        """A known agency code, case-insensitively."""
        wanted = given.strip().upper()
        return next((c for c in self.agency_parent if c.upper() == wanted), None)

    def area_name(self, code: str | None) -> str:
        area = self.areas.get(code or "")
        return area.name if area else (code or "-")

    def area_chain(self, code: str | None) -> list[Area]:
        chain: list[Area] = []
        while code and code in self.areas and len(chain) < 5:
            chain.append(self.areas[code])
            code = self.areas[code].parent_code
        return chain

    def area_label(self, code: str | None) -> str:
        """"Bangka, Mampang Prapatan, Kota Administrasi Jakarta Selatan"."""
        chain = self.area_chain(code)
        return ", ".join(a.name for a in chain) if chain else (code or "-")

    # -- trees -----------------------------------------------------------

    def agency_within(self, agency: str | None, ancestor: str) -> bool:
        """Whether ``agency`` is ``ancestor`` or one of its sub-units."""
        seen = 0
        while agency and seen < 10:
            if agency == ancestor:
                return True
            agency = self.agency_parent.get(agency)
            seen += 1
        return False

    def agency_descendants(self, code: str) -> set[str]:
        return {c for c in self.agency_parent if self.agency_within(c, code)} | {code}

    def area_within(self, area: str | None, ancestor: str) -> bool:
        """Whether ``area`` is ``ancestor`` or lies inside it."""
        return any(a.code == ancestor for a in self.area_chain(area)) or area == ancestor

    def area_descendants(self, code: str) -> set[str]:
        return {c for c in self.areas if self.area_within(c, code)} | {code}

    # -- authorisation ---------------------------------------------------

    def global_scope(self, member: StaffMember) -> bool:
        return member.role == "admin" or (member.role == "validator" and not member.agency and not member.area)

    def may_run(self, member: StaffMember, command: str) -> Refusal | None:
        # Imported here: the command modules import this module (scope, members), not the other way round.
        from bot.staff.commands.catalog import roles_of

        if member.role not in roles_of(command):
            key = "staff_denied_validator_only" if command in ("validasi", "tolak-tl") else "staff_denied_role"
            return Refusal(key, {"command": command, "role": member.role})
        return None

    def may_touch(self, member: StaffMember, ticket: RowLike) -> Refusal | None:
        """None when ``member`` may act on ``ticket``; else why not."""
        if self.global_scope(member):
            return None
        if not member.agency and not member.area:
            return Refusal("staff_denied_no_scope", {})
        if member.agency and (self.agency_within(ticket["agency_code"], member.agency)
                              or self.agency_within(ticket.get("unit"), member.agency)):
            return None
        if member.area and self.area_within(ticket["area_code"], member.area):
            return None
        fields = {
            "tracking_id": ticket["tracking_id"],
            "agency": self.agency_names.get(ticket["agency_code"] or "", ticket["agency_code"] or "-"),
            "area": self.area_label(ticket["area_code"]),
            "my_agency": self.agency_names.get(member.agency or "", member.agency or "-"),
            "my_area": self.area_label(member.area),
        }
        if member.agency and member.area:
            return Refusal("staff_denied_scope", fields)
        if member.agency:
            return Refusal("staff_denied_agency", fields)
        return Refusal("staff_denied_area", fields)

    def scope_filter(self, member: StaffMember) -> tuple[set[str], set[str]] | None:
        """(agency codes, area codes) a member's lists are limited to; None for everything."""
        if self.global_scope(member):
            return None
        agencies = self.agency_descendants(member.agency) if member.agency else set()
        areas = self.area_descendants(member.area) if member.area else set()
        return agencies, areas
