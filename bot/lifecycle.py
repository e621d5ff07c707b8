"""Ticket lifecycle as Jakarta's CRM runs it.

MENUNGGU (waiting at the kelurahan) -> KOORDINASI (handed to another agency)
-> DISPOSISI (agency to its sub-unit) -> PROSES -> MENUNGGU_VALIDASI (proof
submitted) -> SELESAI, or TL_DITOLAK (proof rejected; work goes back to
PROSES). DITOLAK closes a report that is not actionable or not our authority.
A citizen may reopen a SELESAI ticket within a window.
"""
from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    MENUNGGU = "MENUNGGU"
    KOORDINASI = "KOORDINASI"
    DISPOSISI = "DISPOSISI"
    PROSES = "PROSES"
    MENUNGGU_VALIDASI = "MENUNGGU_VALIDASI"
    SELESAI = "SELESAI"
    TL_DITOLAK = "TL_DITOLAK"
    DITOLAK = "DITOLAK"


OPEN_STATUSES = frozenset(s for s in Status if s not in (Status.SELESAI, Status.DITOLAK))
CLOSED_STATUSES = frozenset({Status.SELESAI, Status.DITOLAK})

# Who may move a ticket where. Reopen (SELESAI -> PROSES) is the citizen's,
# checked separately against the reopen window.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.MENUNGGU: frozenset({Status.KOORDINASI, Status.DISPOSISI, Status.PROSES, Status.DITOLAK}),
    Status.KOORDINASI: frozenset({Status.KOORDINASI, Status.DISPOSISI, Status.PROSES, Status.DITOLAK}),
    Status.DISPOSISI: frozenset({Status.DISPOSISI, Status.KOORDINASI, Status.PROSES, Status.DITOLAK}),
    Status.PROSES: frozenset({Status.MENUNGGU_VALIDASI, Status.KOORDINASI, Status.DISPOSISI, Status.DITOLAK}),
    Status.MENUNGGU_VALIDASI: frozenset({Status.SELESAI, Status.TL_DITOLAK}),
    Status.TL_DITOLAK: frozenset({Status.PROSES, Status.MENUNGGU_VALIDASI}),
    Status.SELESAI: frozenset({Status.PROSES}),  # only by a citizen's reopen
    Status.DITOLAK: frozenset(),
}

# Transitions that must carry a reason.
NEEDS_REASON = frozenset({Status.DITOLAK, Status.TL_DITOLAK})


class TransitionError(Exception):
    """An illegal transition: says which one and why."""

    def __init__(self, from_status: str, to_status: str, why: str) -> None:
        super().__init__(f"cannot move ticket from {from_status} to {to_status}: {why}")
        self.from_status = from_status
        self.to_status = to_status
        self.why = why


def check_transition(from_status: str, to_status: str, *, reason: str | None = None, reopen: bool = False) -> None:
    """Raise TransitionError unless ``from_status -> to_status`` is legal."""
    try:
        src, dst = Status(from_status), Status(to_status)
    except ValueError as exc:
        raise TransitionError(from_status, to_status, f"unknown status ({exc})") from None
    if src == Status.SELESAI and dst == Status.PROSES and not reopen:
        raise TransitionError(src, dst, "a finished ticket is reopened only by its reporter")
    if reopen and not (src == Status.SELESAI and dst == Status.PROSES):
        raise TransitionError(src, dst, "only a SELESAI ticket can be reopened")
    if dst not in TRANSITIONS[src]:
        if src == Status.DITOLAK:
            why = "a rejected ticket is closed"
        elif dst == Status.SELESAI:
            why = "a ticket is finished only by validating submitted proof (MENUNGGU_VALIDASI)"
        elif dst == Status.MENUNGGU_VALIDASI:
            why = "proof can be submitted only while the ticket is in PROSES or TL_DITOLAK"
        elif dst == Status.TL_DITOLAK:
            why = "only submitted proof (MENUNGGU_VALIDASI) can be rejected"
        elif dst == Status.MENUNGGU:
            why = "a ticket never goes back to waiting at the kelurahan"
        else:
            why = f"{src} allows only {', '.join(sorted(TRANSITIONS[src])) or 'nothing'}"
        raise TransitionError(src, dst, why)
    if dst in NEEDS_REASON and not (reason and reason.strip()):
        raise TransitionError(src, dst, "a reason is required")
